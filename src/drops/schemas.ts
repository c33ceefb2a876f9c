import { z } from "@hono/zod-openapi";
import { buyerProofs, dropStates } from "../db/schema";
import { dropPhases } from "../inventory/phase";

const Instant = z.iso
  .datetime({ offset: true })
  .openapi({ example: "2026-12-01T18:00:00Z", description: "ISO 8601; stored and returned in UTC." });
const Stock = z.number().int().min(0).max(1_000_000);
const PerBuyerLimit = z.number().int().min(1).max(1000).nullable();
const HoldTtl = z.number().int().min(30).max(3600);
const Shards = z.number().int().min(1).max(64);

const QueueSettings = z
  .strictObject({
    enabled: z.boolean().openapi({ description: "Viewers queue before the start and are admitted fairly." }),
    admit_per_second: z.number().int().min(1).max(100_000).nullable().optional().openapi({
      description: "Viewers admitted a second; null derives it from what the drop's shards can serve.",
    }),
  })
  .openapi("DropQueueSettings");

const BuyerProof = z
  .strictObject({
    mode: z.enum(buyerProofs).openapi({
      description:
        "none: any Buyer-Id may hold. token: holds need a signed Buyer-Token. pow: the token must be earned by a proof of work.",
    }),
    pow_difficulty: z.number().int().min(8).max(28).nullable().optional().openapi({
      description: "Leading zero bits the proof of work must find (mode pow; default 18).",
    }),
  })
  .openapi("DropBuyerProof");

export const DropSchema = z
  .object({
    id: z.string(),
    object: z.literal("drop"),
    offer_id: z.string(),
    title: z.string(),
    stock: z.number().int().openapi({ description: "Units the creator put up for this drop." }),
    starts_at: z.string().openapi({ format: "date-time" }),
    ends_at: z.string().nullable().openapi({ format: "date-time" }),
    per_buyer_limit: z.number().int().nullable(),
    hold_ttl_seconds: z.number().int(),
    restock_on_refund: z
      .boolean()
      .openapi({ description: "Whether a refunded order's units go back on sale." }),
    shards: z
      .number()
      .int()
      .openapi({ description: "Objects the drop's stock is split across (docs/sharding.md)." }),
    queue: z.object({ enabled: z.boolean(), admit_per_second: z.number().int().nullable() }),
    buyer_proof: z.object({ mode: z.enum(buyerProofs), pow_difficulty: z.number().int().nullable() }),
    state: z.enum(dropStates),
    phase: z.enum(dropPhases).openapi({ description: "Where the drop stands at the time of the response." }),
    closed_at: z.string().nullable().openapi({ format: "date-time" }),
    created_at: z.string().openapi({ format: "date-time" }),
    updated_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("Drop");

export const CreateDropBody = z
  .strictObject({
    offer_id: z.string().min(1).max(64),
    title: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .openapi({ description: "Defaults to the offer's title." }),
    stock: Stock,
    starts_at: Instant.optional().openapi({ description: "Defaults to now." }),
    ends_at: Instant.nullable().optional(),
    per_buyer_limit: PerBuyerLimit.optional().openapi({
      description: "Units one buyer may hold or buy; null for none.",
    }),
    hold_ttl_seconds: HoldTtl.default(300).openapi({
      description: "How long a reservation holds stock, 30 to 3600.",
    }),
    restock_on_refund: z.boolean().default(false).openapi({
      description: "Put a refunded order's units back on sale (default: they stay sold).",
    }),
    shards: Shards.optional().openapi({
      description: "Split the stock across this many objects, 1 to 64 (default 1). Fixed once created.",
    }),
    expected_peak_rps: z.number().int().min(1).max(1_000_000).optional().openapi({
      description: "Instead of shards: the burst of requests a second expected; the shard count is derived.",
    }),
    queue: QueueSettings.optional(),
    buyer_proof: BuyerProof.optional(),
  })
  .openapi("CreateDrop");

export const UpdateDropBody = z
  .strictObject({
    title: z.string().trim().min(1).max(200).optional(),
    stock: Stock.optional(),
    starts_at: Instant.optional(),
    ends_at: Instant.nullable().optional(),
    per_buyer_limit: PerBuyerLimit.optional(),
    hold_ttl_seconds: HoldTtl.optional(),
    restock_on_refund: z.boolean().optional(),
    queue: QueueSettings.optional(),
    buyer_proof: BuyerProof.optional(),
    state: z.literal("closed").optional().openapi({ description: "Close the drop early. Closing is final." }),
  })
  .openapi("UpdateDrop");

export type Drop = z.infer<typeof DropSchema>;
export type CreateDropInput = z.infer<typeof CreateDropBody>;
export type UpdateDropInput = z.infer<typeof UpdateDropBody>;
