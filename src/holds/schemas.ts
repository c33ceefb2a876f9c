import { z } from "@hono/zod-openapi";
import { QueueSchema } from "../admission/schemas";
import { dropPhases } from "../inventory/phase";

export const HoldSchema = z
  .object({
    id: z.string().openapi({ example: "hld_…" }),
    object: z.literal("hold"),
    drop_id: z.string(),
    quantity: z.number().int(),
    state: z.enum(["held", "committed", "released", "expired"]),
    created_at: z.string().openapi({ format: "date-time" }),
    expires_at: z.string().openapi({ format: "date-time" }),
    extended: z.boolean().openapi({ description: "Whether the one extension (while paying) was used." }),
  })
  .openapi("Hold");

export const CreateHoldBody = z
  .strictObject({
    quantity: z.number().int().min(1).max(100),
    allow_partial: z
      .boolean()
      .default(false)
      .openapi({ description: "Take fewer units than asked, if that is all there is, rather than none." }),
  })
  .openapi("CreateHold");

export const StockSchema = z
  .object({
    object: z.literal("stock"),
    drop_id: z.string(),
    stock: z.number().int(),
    available: z.number().int(),
    held: z.number().int(),
    sold: z.number().int(),
    phase: z.enum(dropPhases),
    seq: z
      .number()
      .int()
      .openapi({
        description:
          "The drop's state version: rises with every change and never goes back, the same `seq` the " +
          "live stream (GET /v1/drops/{id}/stream) carries, so a higher one is never older state.",
      }),
    holds_total: z.number().int().openapi({ description: "Holds placed since the drop began." }),
    releases_total: z
      .number()
      .int()
      .openapi({ description: "Holds released or expired since the drop began." }),
    as_of: z
      .string()
      .openapi({ format: "date-time", description: "When the drop's object produced these figures." }),
    queue: QueueSchema.nullable(),
  })
  .openapi("Stock");

/** The buyer's anonymous id: chosen by the client (a UUID kept on the device), stable per buyer. */
export const BuyerHeaders = z.object({
  "buyer-id": z
    .string()
    .regex(/^[A-Za-z0-9_-]{8,128}$/, "8 to 128 characters: letters, digits, - and _")
    .openapi({
      description: "The buyer's stable anonymous id; per-buyer caps count against it.",
      example: "3b1f0c9e-6c2a-4d4e-9a57-2f0c1e5d7b10",
    }),
});

export type HoldView = z.infer<typeof HoldSchema>;
export type StockView = z.infer<typeof StockSchema>;
export type CreateHoldInput = z.infer<typeof CreateHoldBody>;
