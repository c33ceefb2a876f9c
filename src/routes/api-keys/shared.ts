import type { Context } from "hono";
import { AppError } from "../../errors";
import { type AppEnv, tenantContext } from "../../http/context";
import { seal, unseal } from "../../keys/seal";
import type { KeyContext, StoredKeyAnswer } from "../../keys/verbs";

export const TAG = "API keys";

/** The key that authenticated this request (requireApiKey already accepted the header). */
const callerKey = (c: Context<AppEnv>): string =>
  /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1] ?? "";

export const keyContext = (c: Context<AppEnv>): KeyContext => ({
  ...tenantContext(c),
  seal: (secret) => seal(callerKey(c), secret),
});

/**
 * An Idempotency-Key replay of a create or a rotation: the same key, its secret unsealed with the
 * caller's own key. A retry under another of the creator's keys cannot open it, and is told so.
 */
export async function withSecret(c: Context<AppEnv>, stored: unknown): Promise<unknown> {
  const { sealed_secret, ...key } = stored as StoredKeyAnswer;
  const secret = await unseal(callerKey(c), sealed_secret);
  if (secret === null) {
    throw new AppError(
      "conflict",
      `This Idempotency-Key already made API key ${key.id}; its secret is shown again only to the API key ` +
        "that made it. Revoke it and create another if its secret was lost.",
    );
  }
  return { ...key, secret };
}
