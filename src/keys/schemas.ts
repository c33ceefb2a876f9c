import { z } from "@hono/zod-openapi";
import { apiKeyKinds } from "../db/schema";
import { allScopes } from "./scopes";

const Instant = z.string().openapi({ format: "date-time" });

/** The longest a rotated key may keep working beside its replacement: one week. */
export const MAX_OVERLAP_SECONDS = 7 * 24 * 60 * 60;
export const DEFAULT_OVERLAP_SECONDS = 24 * 60 * 60;

const Scopes = z
  .array(z.enum(allScopes as [string, ...string[]]))
  .min(1)
  .max(allScopes.length)
  .refine((scopes) => new Set(scopes).size === scopes.length, "must not repeat a scope")
  .openapi({
    description: "A restricted key's scopes, `<resource>:read` or `<resource>:write` (docs/keys.md).",
  });

export const CreateApiKeyBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100).openapi({ example: "Storefront server" }),
    kind: z.enum(apiKeyKinds).openapi({
      description:
        "`secret` (cc_sk_, every admin route), `restricted` (cc_rk_, only its scopes) or `publishable` " +
        "(cc_pk_, names the creator on buyer routes, safe in a page).",
    }),
    scopes: Scopes.optional(),
  })
  // A restricted key without scopes could do nothing; scopes on the other kinds would be silently ignored.
  .superRefine((body, ctx) => {
    if (body.kind === "restricted" && body.scopes === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["scopes"],
        message: "A restricted key needs at least one scope",
      });
    if (body.kind !== "restricted" && body.scopes !== undefined)
      ctx.addIssue({ code: "custom", path: ["scopes"], message: `A ${body.kind} key takes no scopes` });
  })
  .openapi("CreateApiKey");
export type CreateApiKeyInput = z.output<typeof CreateApiKeyBody>;

export const RotateApiKeyBody = z
  .strictObject({
    overlap_seconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_OVERLAP_SECONDS)
      .default(DEFAULT_OVERLAP_SECONDS)
      .openapi({
        description:
          "How long the old key keeps working beside the new one, 0 to 604800 (a week); 86400 when omitted. " +
          "0 ends it at once.",
      }),
  })
  .openapi("RotateApiKey");
export type RotateApiKeyInput = z.output<typeof RotateApiKeyBody>;

export const ApiKeySchema = z
  .object({
    id: z.string().openapi({ example: "key_3f9k2m…" }),
    object: z.literal("api_key"),
    name: z.string(),
    kind: z.enum(apiKeyKinds),
    scopes: z
      .array(z.string())
      .openapi({ description: '`["*"]` for a secret key, `[]` for a publishable one.' }),
    prefix: z
      .string()
      .openapi({ example: "cc_sk_8vq3", description: "Enough of the key to tell keys apart." }),
    created_at: Instant,
    last_used_at: Instant.nullable().openapi({
      description: "When the key last authenticated a request, to within about a minute (docs/keys.md).",
    }),
    expires_at: Instant.nullable().openapi({ description: "After a rotation: the end of its overlap." }),
    revoked_at: Instant.nullable(),
    replaced_by: z.string().nullable().openapi({ description: "The key a rotation replaced this one with." }),
  })
  .openapi("ApiKey");
export type ApiKey = z.infer<typeof ApiKeySchema>;

export const ApiKeyWithSecretSchema = ApiKeySchema.extend({
  secret: z.string().openapi({
    example: "cc_sk_8vq3061x5w8p2wved3w2w6k0kf6nrcx3ytbcgzyd",
    description:
      "The key itself. Shown only in this answer (and its Idempotency-Key replay): only its SHA-256 is kept.",
  }),
}).openapi("ApiKeyWithSecret");
export type ApiKeyWithSecret = z.infer<typeof ApiKeyWithSecretSchema>;
