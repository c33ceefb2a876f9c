/** The operator API's contract (docs/platform.md): creators as the platform sees them. */
import { z } from "@hono/zod-openapi";
import { creatorStatuses } from "../db/schema";
import { PageQuerySchema } from "../http/pagination";
import { CurrencySchema } from "../lib/currency";

/** The platform's fee on each payment, in basis points: at most half of it (5000). */
const FeeBps = z
  .number()
  .int("Must be an integer number of basis points")
  .min(0)
  .max(5000)
  .openapi({ example: 500, description: "The platform's fee in basis points (500 is 5 %), 0 to 5000." });

const Name = z.string().trim().min(1).max(120).openapi({ example: "Second Creator" });

export const CreateCreatorBody = z
  .strictObject({
    name: Name,
    default_currency: CurrencySchema,
    platform_fee_bps: FeeBps.optional().openapi({ description: "Omit for no platform fee." }),
  })
  .openapi("CreateCreator");

export const UpdateCreatorBody = z
  .strictObject({
    name: Name.optional(),
    platform_fee_bps: FeeBps.nullable().optional().openapi({ description: "null removes the fee." }),
  })
  .refine((b) => b.name !== undefined || b.platform_fee_bps !== undefined, "Send at least one field")
  .openapi("UpdateCreator");

export const SuspendCreatorBody = z
  .strictObject({
    reason: z.string().trim().min(1).max(500).openapi({
      description: "Why, for the operator's own records; shown to nobody else.",
      example: "chargeback rate under review",
    }),
  })
  .openapi("SuspendCreator");

export const CreatorListQuery = PageQuerySchema.extend({ status: z.enum(creatorStatuses).optional() });

export const CreatorSchema = z
  .object({
    object: z.literal("creator"),
    id: z.string().openapi({ example: "cre_…" }),
    name: z.string(),
    default_currency: z.string(),
    status: z.enum(creatorStatuses),
    suspended_at: z.string().nullable().openapi({ format: "date-time" }),
    suspension_reason: z.string().nullable(),
    platform_fee_bps: z.number().int().nullable(),
    payout_account: z
      .object({ account_id: z.string(), charges_enabled: z.boolean(), payouts_enabled: z.boolean() })
      .nullable()
      .openapi({ description: "The linked Stripe connected account, if any (docs/payouts.md)." }),
    created_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("Creator");

export const CreatedApiKeySchema = z
  .object({
    object: z.literal("api_key"),
    id: z.string().openapi({ example: "key_…" }),
    name: z.string(),
    kind: z.literal("secret"),
    scopes: z.array(z.string()),
    prefix: z.string(),
    secret: z.string().openapi({ description: "The key itself: shown here only; only its SHA-256 is kept." }),
    created_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("CreatedCreatorApiKey");

export const CreatedCreatorSchema = z
  .object({ creator: CreatorSchema, api_key: CreatedApiKeySchema })
  .openapi("CreatedCreator");

export type CreatorView = z.infer<typeof CreatorSchema>;
export type CreatedCreatorView = z.infer<typeof CreatedCreatorSchema>;
export type CreateCreatorInput = z.infer<typeof CreateCreatorBody>;
export type UpdateCreatorInput = z.infer<typeof UpdateCreatorBody>;
