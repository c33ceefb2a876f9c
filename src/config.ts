import { z } from "zod";
import { AppError } from "./errors";

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
 * `retire_at` (ISO 8601 UTC); docs/entitlements.md gives the rotation steps.
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
  ENVIRONMENT: z.enum(["development", "test", "production"], {
    error: 'must be "development", "test" or "production"',
  }),
  QUOTE_SIGNING_KEYS: QuoteKeysSchema,
  ENTITLEMENT_SIGNING_KEYS: EntitlementKeysSchema,
  /** The `iss` of entitlement tokens: this worker's public origin, where /.well-known/jwks.json lives. */
  ENTITLEMENT_ISSUER: z.url(),
  /** Entitlement token lifetime: 5 minutes unless set; never more than 15. */
  ENTITLEMENT_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(900).default(300),
  /** Stripe's secret key. Without it, and only in development and test, checkouts use the sandbox. */
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_[A-Za-z0-9]+$/)
    .optional(),
  /**
   * Stripe's publishable key (`pk_test_…`/`pk_live_…`): with STRIPE_SECRET_KEY, the hosted checkout page
   * mounts Stripe's Payment Element; without Stripe, it shows the sandbox's card form.
   */
  STRIPE_PUBLISHABLE_KEY: z
    .string()
    .regex(/^pk_(test|live)_[A-Za-z0-9]+$/)
    .optional(),
  /** The webhook endpoint's signing secret (`whsec_…`), for POST /v1/webhooks/stripe. */
  STRIPE_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/=]+$/)
    .optional(),
  /**
   * The Connect endpoint's signing secret (`whsec_…`): Stripe signs events from connected accounts
   * (`account.updated`) with the Connect endpoint's own secret; POST /v1/webhooks/stripe accepts either.
   */
  STRIPE_CONNECT_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/=]+$/)
    .optional(),
  /**
   * Payouts (docs/payouts.md): `platform` (the default) charges on the platform's account unless a creator
   * linked a connected account; `connect` refuses payments for any creator without a ready one.
   */
  PAYOUTS_MODE: z
    .enum(["platform", "connect"], { error: 'must be "platform" or "connect"' })
    .default("platform"),
  /**
   * The platform operator's key, never stored: the hex SHA-256 of it (`npm run operator-key` makes a key
   * and prints both). Two hashes separated by a comma let an old and a new key overlap during a rotation.
   */
  OPERATOR_KEY_SHA256: z
    .string()
    .regex(
      /^[0-9a-f]{64}(,[0-9a-f]{64})?$/,
      "must be the hex SHA-256 of the operator key (two may be comma-separated)",
    )
    .optional(),
  /** Another Stripe API base, such as a local Stripe-compatible fake; Stripe's own when unset. */
  STRIPE_API_BASE: z.url().optional(),
  /** The mail API's key (Resend's `re_…`): sign-in codes are mailed through it in production. */
  MAIL_API_KEY: z
    .string()
    .regex(/^[\x21-\x7e]{8,256}$/)
    .optional(),
  /** The sender of sign-in mail, `name@domain` or `Name <name@domain>`, on a domain the mail API verified. */
  MAIL_FROM: z
    .string()
    .regex(/^(?:[^<>\r\n]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/)
    .optional(),
  /** Another endpoint taking Resend's `POST /emails` JSON; Resend's own when unset. */
  MAIL_API_URL: z.url({ protocol: /^https?$/ }).optional(),
});

/**
 * Secrets production cannot run without: elsewhere the sandbox stands in for Stripe and the development
 * outbox for mail, but a production worker without them would take test payments or send no mail.
 */
const requiredInProduction = [
  "STRIPE_SECRET_KEY",
  "STRIPE_WEBHOOK_SECRET",
  "MAIL_API_KEY",
  "MAIL_FROM",
  "OPERATOR_KEY_SHA256",
] as const;

/**
 * Every secret a production worker refuses to run without, in one place: the two signing keys the
 * schema above always requires, and the ones production adds. `npm run deploy` (scripts/deploy.ts)
 * compares this list with `wrangler secret list` before it deploys anything.
 */
export const productionSecrets = [
  "QUOTE_SIGNING_KEYS",
  "ENTITLEMENT_SIGNING_KEYS",
  ...requiredInProduction,
] as const;

const inProduction = "required when ENVIRONMENT is production";

/**
 * Production fails closed. On top of ConfigSchema: every secret above is set; Stripe's key is a live one
 * (test mode charges nobody and its test cards succeed, so they would grant real access); the issuer is
 * an https origin; and no other Stripe API base (a Stripe-compatible fake would "charge" anything).
 * Parsed apart from ConfigSchema, not as its refinement, because zod skips an object's refinements once
 * any field has failed, and one error must name every problem.
 */
const ProductionRules = z.object({
  ...Object.fromEntries(requiredInProduction.map((name) => [name, z.string({ error: inProduction })])),
  STRIPE_SECRET_KEY: z
    .string({ error: inProduction })
    .regex(
      /^(sk|rk)_live_/,
      "must be a live key (sk_live_… or rk_live_…) in production: test mode charges nobody",
    ),
  ENTITLEMENT_ISSUER: z.url({
    protocol: /^https$/,
    error: "must be this worker's https origin in production",
  }),
  STRIPE_API_BASE: z
    .undefined({ error: "must be unset in production: only Stripe's own API takes real payments" })
    .optional(),
  // The mail API key travels as a bearer token: never over plain http.
  MAIL_API_URL: z.url({ protocol: /^https$/, error: "must be an https URL in production" }).optional(),
});
export type Config = z.infer<typeof ConfigSchema>;
export type QuoteKeyConfig = Config["QUOTE_SIGNING_KEYS"];
export type EntitlementKeyConfig = Config["ENTITLEMENT_SIGNING_KEYS"];

/** True where local stand-ins are allowed: the sandbox payment provider, a client-sent Buyer-Country. */
export const allowsLocalStandIns = (config: Config): boolean =>
  config.ENVIRONMENT === "development" || config.ENVIRONMENT === "test";

/** A deploy the worker refuses to run: the operator's to fix, answered as a 500 problem naming it. */
export const misconfigured = (problems: string): AppError =>
  new AppError(
    "misconfigured",
    `The worker's configuration is invalid: ${problems}. Its operator must fix each one (see docs/deploy.md, Configuration).`,
  );

type Issue = { path: PropertyKey[]; message: string };

/** Each broken setting once, by name and what is wrong with it; never its value. */
function describeProblems(env: Record<string, unknown>, base: Issue[], production: Issue[]): string {
  const problems = new Map<string, string>();
  const note = (issues: Issue[], missing: string | null) => {
    for (const { path, message } of issues) {
      const [name, ...inside] = path.map(String);
      if (name === undefined || problems.has(name)) continue;
      const what = inside.length > 0 ? `${inside.join(".")}: ${message}` : message;
      problems.set(name, missing !== null && env[name] === undefined ? missing : what);
    }
  };
  note(base, "missing");
  note(production, null);
  return [...problems].map(([name, problem]) => `${name} (${problem})`).join("; ");
}

const checked = new WeakMap<object, Config | AppError>();

/** The worker's configuration, checked once per isolate; a broken one throws the same error every time. */
export function readConfig(env: Env): Config {
  let result = checked.get(env);
  if (result === undefined) {
    const raw = env as unknown as Record<string, unknown>;
    const parsed = ConfigSchema.safeParse(env);
    const rules = raw.ENVIRONMENT === "production" ? ProductionRules.safeParse(env) : undefined;
    const [base, production] = [parsed.error?.issues ?? [], rules?.error?.issues ?? []];
    result =
      parsed.success && production.length === 0
        ? parsed.data
        : misconfigured(describeProblems(raw, base, production));
    checked.set(env, result);
  }
  if (result instanceof AppError) throw result;
  return result;
}
