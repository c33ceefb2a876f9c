import { z } from "@hono/zod-openapi";
import { dropStates } from "../db/schema";
import { dropPhases } from "../inventory/phase";

const Instant = z.iso
  .datetime({ offset: true })
  .openapi({ example: "2026-12-01T18:00:00Z", description: "ISO 8601; stored and returned in UTC." });
const Stock = z.number().int().min(0).max(1_000_000);
const PerBuyerLimit = z.number().int().min(1).max(1000).nullable();
const HoldTtl = z.number().int().min(30).max(3600);

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
    state: z.literal("closed").optional().openapi({ description: "Close the drop early. Closing is final." }),
  })
  .openapi("UpdateDrop");

export type Drop = z.infer<typeof DropSchema>;
export type CreateDropInput = z.infer<typeof CreateDropBody>;
export type UpdateDropInput = z.infer<typeof UpdateDropBody>;
