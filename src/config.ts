import { z } from "zod";

/**
 * Quote signing keys, from the QUOTE_SIGNING_KEYS secret: JSON `{"active": kid, "keys": {kid: secret}}`,
 * each secret base64url of at least 32 random bytes. The active key signs; every listed key verifies,
 * so a rotation is: add the new key, make it active, remove the old one once its quotes have expired
 * (10 minutes). These keys are HMAC secrets used only by this worker, kept apart from entitlement keys.
 */
const QuoteKeysSchema = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "must be JSON" });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .object({
        active: z.string(),
        keys: z.record(
          z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
          z.string().regex(/^[A-Za-z0-9_-]{43,}$/, "must be base64url of at least 32 bytes"),
        ),
      })
      .refine((k) => k.keys[k.active] !== undefined, "the active kid must be one of the keys"),
  );

/** Variables and secrets the worker reads, checked once per isolate; a missing one is named in the error. */
const ConfigSchema = z.object({
  ENVIRONMENT: z.enum(["development", "test", "production"]),
  QUOTE_SIGNING_KEYS: QuoteKeysSchema,
});
export type Config = z.infer<typeof ConfigSchema>;
export type QuoteKeyConfig = Config["QUOTE_SIGNING_KEYS"];

const checked = new WeakMap<object, Config>();

export function readConfig(env: Env): Config {
  const cached = checked.get(env);
  if (cached) return cached;
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => i.path.join(".")).join(", ");
    throw new Error(`Worker configuration is invalid: check ${names} in wrangler.toml or the secrets.`);
  }
  checked.set(env, parsed.data);
  return parsed.data;
}
