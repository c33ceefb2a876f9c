import { z } from "@hono/zod-openapi";
import { billingIntervals, offerKinds, offerStatuses } from "../db/schema";
import { CurrencySchema, MinorUnitsSchema } from "../lib/currency";

const Price = z.strictObject({ currency: CurrencySchema, amount: MinorUnitsSchema }).openapi("Price");
const Component = z
  .strictObject({
    offer_id: z.string().min(1).max(64),
    quantity: z.number().int().min(1).max(100).default(1),
  })
  .openapi("BundleComponent");

const Title = z.string().trim().min(1).max(200);
const Description = z.string().max(2000).nullable();
const Prices = z.array(Price).min(1).max(50).openapi({ description: "One price per currency." });
const Components = z.array(Component).min(1).max(20);
const TierRank = z
  .number()
  .int()
  .min(1)
  .max(100)
  .openapi({ description: "Place on the ladder; higher is more." });

const RequiresShipping = z.boolean().openapi({
  description:
    "A physical good (default false): checkout asks for a shipping address. Memberships cannot ship.",
});

export const OfferSchema = z
  .object({
    id: z.string().openapi({ example: "off_3f9k2m…" }),
    object: z.literal("offer"),
    kind: z.enum(offerKinds),
    title: z.string(),
    description: z.string().nullable(),
    default_currency: z.string(),
    prices: z.array(z.object({ currency: z.string(), amount: z.number().int() })),
    billing_interval: z.enum(billingIntervals).nullable(),
    tier_rank: z.number().int().nullable(),
    components: z.array(z.object({ offer_id: z.string(), quantity: z.number().int() })),
    requires_shipping: z.boolean().openapi({
      description:
        "A physical good: checkout takes a shipping address and the paid order is fulfilled. A bundle " +
        "also ships when any of its components does.",
    }),
    status: z.enum(offerStatuses),
    created_at: z.string().openapi({ format: "date-time" }),
    updated_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("Offer");

export const CreateOfferBody = z
  .strictObject({
    kind: z.enum(offerKinds),
    title: Title,
    description: Description.optional(),
    prices: Prices,
    default_currency: CurrencySchema.optional().openapi({
      description: "Defaults to the creator's currency if it has a price, else the first price's.",
    }),
    billing_interval: z
      .enum(billingIntervals)
      .optional()
      .openapi({ description: "Memberships only; required." }),
    tier_rank: TierRank.optional().openapi({
      description: "Memberships only; required and unique per creator.",
    }),
    components: Components.optional().openapi({ description: "Bundles only; required." }),
    requires_shipping: RequiresShipping.optional(),
  })
  .openapi("CreateOffer");

export const UpdateOfferBody = z
  .strictObject({
    title: Title.optional(),
    description: Description.optional(),
    prices: Prices.optional().openapi({ description: "Replaces the whole price table." }),
    default_currency: CurrencySchema.optional(),
    billing_interval: z.enum(billingIntervals).optional(),
    tier_rank: TierRank.optional(),
    components: Components.optional().openapi({ description: "Replaces the bundle's components." }),
    requires_shipping: RequiresShipping.optional(),
    status: z.enum(offerStatuses).optional(),
  })
  .openapi("UpdateOffer");

export type Offer = z.infer<typeof OfferSchema>;
export type CreateOfferInput = z.infer<typeof CreateOfferBody>;
export type UpdateOfferInput = z.infer<typeof UpdateOfferBody>;
export type PriceInput = z.infer<typeof Price>;
export type ComponentInput = z.infer<typeof Component>;
