import { z } from "@hono/zod-openapi";
import { entitlementSources, revocationReasons } from "../db/schema";

export const EntitlementSchema = z
  .object({
    id: z.string().openapi({ example: "ent_8d2k…" }),
    object: z.literal("entitlement"),
    member_id: z.string(),
    offer_id: z.string().nullable().openapi({ description: "The offer that granted it, when one did." }),
    benefit_key: z.string().openapi({
      description: "What it unlocks, as tokens list it: the offer id, or a named benefit.",
      example: "backstage",
    }),
    source: z.object({ type: z.enum(entitlementSources), id: z.string() }).openapi({
      description: "Where it came from: an order, a subscription, a POS enrolment or an admin grant.",
    }),
    granted_at: z.string().openapi({ format: "date-time" }),
    expires_at: z.string().nullable().openapi({
      format: "date-time",
      description: "Null for lifetime access; the period end for memberships.",
    }),
    revoked_at: z.string().nullable().openapi({ format: "date-time" }),
    revoke_reason: z.enum(revocationReasons).nullable(),
  })
  .openapi("Entitlement");
export type Entitlement = z.infer<typeof EntitlementSchema>;

const Surface = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/)
  .optional()
  .openapi({
    description:
      "Narrows the token's audience to one of the creator's surfaces: `aud` becomes `<creator id>:<surface>`. " +
      "Without it, `aud` is the creator id.",
    example: "overlay",
  });

export const TokenSchema = z
  .object({
    object: z.literal("entitlement_token"),
    token: z
      .string()
      .openapi({ description: "A compact JWS (EdDSA, `typ: entitlement+jwt`); verify it offline." }),
    token_type: z.literal("Bearer"),
    expires_at: z.string().openapi({ format: "date-time" }),
    audience: z.string(),
    entitlements: z.array(z.string()).openapi({ description: "What the token grants (its `ent` claim)." }),
  })
  .openapi("EntitlementToken");
export type TokenView = z.infer<typeof TokenSchema>;

export const SessionSchema = TokenSchema.extend({
  refresh_token: z.string().openapi({
    description:
      "Opaque and long-lived; shown once. Exchange it at /v1/entitlements/token; each use replaces it.",
  }),
  refresh_expires_at: z.string().openapi({ format: "date-time" }),
}).openapi("EntitlementSession");
export type SessionView = z.infer<typeof SessionSchema>;

export const GrantedEntitlementSchema = EntitlementSchema.extend({
  token: TokenSchema.openapi({ description: "A fresh token for the member, listing this grant." }),
}).openapi("GrantedEntitlement");
export type GrantedEntitlement = z.infer<typeof GrantedEntitlementSchema>;

export const GrantEntitlementBody = z
  .strictObject({
    member_id: z.string().min(1).max(64),
    offer_id: z.string().min(1).max(64).optional().openapi({ description: "The offer granted." }),
    benefit_key: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,39}$/)
      .optional()
      .openapi({ description: "A named benefit; defaults to the offer id.", example: "backstage" }),
    expires_at: z.iso
      .datetime({ offset: true })
      .optional()
      .openapi({ description: "Defaults to one billing period for a membership tier, else lifetime." }),
    reference: z
      .string()
      .regex(/^[\x21-\x7e]{1,128}$/)
      .optional()
      .openapi({
        description:
          "Your id for this grant. A second grant with the same reference and benefit returns the first.",
      }),
  })
  .refine((b) => b.offer_id !== undefined || b.benefit_key !== undefined, {
    message: "Name an offer_id or a benefit_key",
    path: ["offer_id"],
  })
  .openapi("GrantEntitlementRequest");
export type GrantEntitlementInput = z.infer<typeof GrantEntitlementBody>;

export const RevokeEntitlementQuery = z.strictObject({
  reason: z
    .enum(revocationReasons)
    .default("admin")
    .openapi({ param: { name: "reason", in: "query" }, description: "Why access ends; kept on the row." }),
});

export const StartSessionBody = z.strictObject({ surface: Surface }).openapi("StartSessionRequest");

export const ExchangeBody = z
  .strictObject({
    refresh_token: z.string().min(1).max(256),
  })
  .openapi("TokenExchangeRequest");

export const IntrospectBody = z
  .strictObject({
    token: z.string().min(1),
    audience: z.string().min(1).max(200).openapi({
      description: "The audience your surface accepts: the creator id, or `<creator id>:<surface>`.",
    }),
  })
  .openapi("IntrospectionRequest");

export const IntrospectionSchema = z
  .object({
    active: z.literal(true),
    member_id: z.string(),
    audience: z.string(),
    entitlements: z.array(z.string()),
    token_id: z.string(),
    version: z.number().int(),
    issued_at: z.string().openapi({ format: "date-time" }),
    expires_at: z.string().openapi({ format: "date-time" }),
    scope: z.enum(["session", "purchase"]).openapi({
      description:
        "`session`: a signed-in member. `purchase`: a checkout's or till sale's receipt, proving only the " +
        "entitlements listed; not a sign-in, refused as `member_token`.",
    }),
  })
  .openapi("Introspection");
export type Introspection = z.infer<typeof IntrospectionSchema>;

export const JwksSchema = z
  .object({
    keys: z.array(
      z.object({
        kty: z.literal("OKP"),
        crv: z.literal("Ed25519"),
        kid: z.string(),
        x: z.string(),
        alg: z.literal("EdDSA"),
        use: z.literal("sig"),
        exp: z
          .number()
          .int()
          .optional()
          .openapi({ description: "While the key is retiring: when it stops verifying (epoch seconds)." }),
      }),
    ),
  })
  .openapi("JWKS");
