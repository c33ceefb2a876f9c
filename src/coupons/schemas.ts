import { z } from "@hono/zod-openapi";
import { couponStatuses } from "../db/schema";
import { CurrencySchema, MinorUnitsSchema } from "../lib/currency";
import { percentSchema } from "../lib/percent";

const Instant = z.iso
  .datetime({ offset: true })
  .openapi({ example: "2026-12-31T23:59:59Z", description: "ISO 8601; stored and returned in UTC." });
const Cap = z.number().int().min(1).max(1_000_000_000);

const PercentOff = percentSchema(0.01, 100).openapi({
  example: 12.5,
  description: "Percent off, more than 0 and at most 100, up to 2 decimals.",
});

const AmountOff = z
  .strictObject({ currency: CurrencySchema, amount: MinorUnitsSchema.min(1) })
  .openapi("CouponAmountOff", {
    description: "A fixed amount off the order; applies only to quotes in this currency.",
  });

export const CouponSchema = z
  .object({
    id: z.string().openapi({ example: "cpn_3f9k2m…" }),
    object: z.literal("coupon"),
    code: z.string().openapi({ example: "SUMMER10", description: "Upper case; matched case-insensitively." }),
    percent_off: z.number().nullable().openapi({ example: 12.5 }),
    amount_off: z.object({ currency: z.string(), amount: z.number().int() }).nullable(),
    offer_ids: z
      .array(z.string())
      .nullable()
      .openapi({ description: "Offers the coupon applies to; null for every offer." }),
    expires_at: z.string().nullable().openapi({ format: "date-time" }),
    max_redemptions: z.number().int().nullable(),
    max_per_buyer: z.number().int().nullable(),
    redeemed_count: z.number().int().openapi({ description: "Paid orders that used the coupon." }),
    status: z.enum(couponStatuses),
    created_at: z.string().openapi({ format: "date-time" }),
    updated_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("Coupon");

export const CreateCouponBody = z
  .strictObject({
    code: z
      .string()
      .regex(/^[A-Za-z0-9_-]{3,40}$/, "3 to 40 letters, digits, _ or -")
      .openapi({ example: "summer10", description: "Stored upper case; unique per creator." }),
    percent_off: PercentOff.optional().openapi({ description: "Give this or amount_off, not both." }),
    amount_off: AmountOff.optional(),
    offer_ids: z
      .array(z.string().min(1).max(64))
      .min(1)
      .max(50)
      .optional()
      .openapi({ description: "The creator's offers it applies to; omit for every offer." }),
    expires_at: Instant.optional().openapi({ description: "Must be in the future; omit for none." }),
    max_redemptions: Cap.optional().openapi({ description: "Paid orders it may be used on in all." }),
    max_per_buyer: Cap.optional().openapi({ description: "Paid orders one buyer may use it on." }),
  })
  .openapi("CreateCoupon");

export const UpdateCouponBody = z
  .strictObject({
    status: z.enum(couponStatuses).optional().openapi({ description: "`archived` stops new quotes." }),
    expires_at: Instant.nullable().optional().openapi({ description: "In the future, or null for none." }),
    max_redemptions: Cap.nullable()
      .optional()
      .openapi({ description: "Never below redeemed_count (409); null for no cap." }),
  })
  .openapi("UpdateCoupon");

export type Coupon = z.infer<typeof CouponSchema>;
export type CreateCouponInput = z.infer<typeof CreateCouponBody>;
export type UpdateCouponInput = z.infer<typeof UpdateCouponBody>;
