import { z } from "zod";

/** A secret holding JSON, checked against `shape`; parse errors never echo the secret's text. */
function jsonSecret<T extends z.ZodType>(shape: T) {
  return z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "must be JSON" });
        return z.NEVER;
      }
    })
    .pipe(shape);
}

/**
 * Quote signing keys, from the QUOTE_SIGNING_KEYS secret: JSON `{"active": kid, "keys": {kid: secret}}`,
 * each secret base64url of at least 32 random bytes. The active key signs; every listed key verifies,
 * so a rotation is: add the new key, make it active, remove the old one once its quotes have expired
 * (10 minutes). These keys are HMAC secrets used only by this worker, kept apart from entitlement keys.
 */
const QuoteKeysSchema = jsonSecret(
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

/**
 * Entitlement signing keys, from the ENTITLEMENT_SIGNING_KEYS secret: JSON `{"active": kid, "keys": [jwk…]}`
 * with Ed25519 JWKs (`kty` OKP, `crv` Ed25519, `kid`, `x`, and `d` for a key that may sign). The active
 * key must hold `d`. Any other key verifies, and is published in the JWKS, until its optional
 * `retire_at` (ISO 8601 UTC); the README gives the rotation steps.
 */
const EntitlementJwk = z.object({
  kty: z.literal("OKP"),
  crv: z.literal("Ed25519"),
  kid: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
  x: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  d: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/)
    .optional(),
  retire_at: z.iso.datetime().optional(),
  alg: z.literal("EdDSA").optional(),
  use: z.literal("sig").optional(),
});

const EntitlementKeysSchema = jsonSecret(
  z
    .object({ active: z.string(), keys: z.array(EntitlementJwk).min(1) })
    .refine((k) => new Set(k.keys.map((j) => j.kid)).size === k.keys.length, "kids must be unique")
    .refine((k) => {
      const active = k.keys.find((j) => j.kid === k.active);
      return active?.d !== undefined && active.retire_at === undefined;
    }, "the active kid must be a listed private key with no retire_at"),
);

/** Variables and secrets the worker reads, checked once per isolate; a missing one is named in the error. */
const ConfigSchema = z.object({
  ENVIRONMENT: z.enum(["development", "test", "production"]),
  QUOTE_SIGNING_KEYS: QuoteKeysSchema,
  ENTITLEMENT_SIGNING_KEYS: EntitlementKeysSchema,
  /** The `iss` of entitlement tokens: this worker's public origin, where /.well-known/jwks.json lives. */
  ENTITLEMENT_ISSUER: z.url(),
  /** Entitlement token lifetime: 5 minutes unless set; never more than 15. */
  ENTITLEMENT_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(900).default(300),
  /** Stripe's secret key; without it checkouts use the sandbox provider (Stripe's test-card semantics). */
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_[A-Za-z0-9]+$/)
    .optional(),
  /** The webhook endpoint's signing secret (`whsec_…`), for POST /v1/webhooks/stripe. */
  STRIPE_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/=]+$/)
    .optional(),
  /** Another Stripe API base, such as a local Stripe-compatible fake; Stripe's own when unset. */
  STRIPE_API_BASE: z.url().optional(),
});
export type Config = z.infer<typeof ConfigSchema>;
export type QuoteKeyConfig = Config["QUOTE_SIGNING_KEYS"];
export type EntitlementKeyConfig = Config["ENTITLEMENT_SIGNING_KEYS"];

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
