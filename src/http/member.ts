/**
 * Member self-service routes: the member proves who they are with their own entitlement token as
 * `Authorization: Bearer <token>`, checked exactly as introspection checks it (a purchase receipt is
 * refused: it proves a payment, not a person). The token's audience names the creator.
 */

import type { Context } from "hono";
import { decodeJwt } from "jose";
import { memberOfToken } from "../entitlements/verbs";
import { AppError } from "../errors";
import { type AppEnv, tokenContext } from "./context";

export async function memberOfBearer(c: Context<AppEnv>): Promise<{ creatorId: string; memberId: string }> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
  const token = match?.[1];
  if (token === undefined) {
    throw new AppError(
      "unauthenticated",
      "Send the member's entitlement token as `Authorization: Bearer <token>`.",
      {
        headers: { "www-authenticate": 'Bearer realm="members"' },
      },
    );
  }
  let audience: unknown;
  try {
    audience = decodeJwt(token).aud;
  } catch {
    audience = undefined;
  }
  if (typeof audience !== "string") {
    throw new AppError("token_invalid", "The token is not an entitlement token.", {
      errors: [{ in: "header", path: "/authorization", message: "not_a_token" }],
    });
  }
  const creatorId = audience.split(":")[0] ?? "";
  return { creatorId, memberId: await memberOfToken(await tokenContext(c), token, creatorId) };
}
