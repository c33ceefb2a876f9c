import { z } from "@hono/zod-openapi";
import { orderSources } from "../db/schema";
import { queryInt } from "../http/query";
import { CurrencySchema } from "../lib/currency";
import { lineTypes } from "../pricing/engine";

const Line = z
  .object({
    type: z.enum(lineTypes),
    amount: z.number().int().openapi({ description: "Signed, in minor units, for the whole quantity." }),
    ref: z.string().optional().openapi({
      description: "What produced it: the country, `experiment:arm`, the tier offer, the coupon.",
    }),
  })
  .openapi("PriceLine");

const BoundDrops = z
  .array(z.object({ drop_id: z.string(), quantity: z.number().int() }).openapi("QuotedDrop"))
  .openapi({
    description:
      "Every drop a checkout of this quote holds, all or nothing, with its units: the offer's own drop " +
      "(`drop_id`), and for a bundle each component's open or upcoming drop (component quantity × " +
      "quantity). Empty when nothing quoted sells through a drop.",
  });

const Country = z
  .string()
  .regex(/^[A-Z]{2}$/, "ISO 3166-1 alpha-2, upper case")
  .openapi({ example: "BR" });

/** The priced breakdown both the pricing-only route and quotes return. */
const Breakdown = z.object({
  offer_id: z.string(),
  quantity: z.number().int(),
  currency: z.string(),
  currency_source: z.enum(["request", "country", "default"]).openapi({
    description: "Where the currency came from: asked for, the buyer's country, or the offer's default.",
  }),
  country: z.string().nullable(),
  lines: z.array(Line),
  total: z
    .number()
    .int()
    .openapi({
      description:
        "The sum of the lines; never negative, never below the floor. A quote's total is 0 or within " +
        "what a payment provider charges in the currency (else 422 amount-out-of-range).",
    }),
  experiment: z
    .object({ id: z.string(), arm: z.string() })
    .nullable()
    .openapi({ description: "The experiment arm that priced this buyer, for revenue per arm." }),
});

export const PriceSchema = Breakdown.extend({ object: z.literal("price") }).openapi("OfferPrice");

export const QuoteSchema = Breakdown.extend({
  id: z.string().openapi({ example: "qte_…" }),
  object: z.literal("quote"),
  drop_id: z.string().nullable(),
  drops: BoundDrops,
  coupon: z.string().nullable(),
  upsell_of: z.string().nullable(),
  member_id: z.string().nullable(),
  expires_at: z.string().openapi({ format: "date-time" }),
  token: z.string().openapi({
    description:
      "Compact JWS (HS256, `typ: quote+jwt`, `kid`) binding creator, offer, drop, quantity, currency, amount, " +
      "arm, coupon, buyer and expiry. Checkout accepts only an unaltered, unexpired token.",
  }),
}).openapi("Quote");

export const PriceQuery = z.object({
  quantity: queryInt({ min: 1, max: 100 }).default(1),
  currency: CurrencySchema.optional(),
});

export const CreateQuoteBody = z
  .strictObject({
    offer_id: z.string().min(1).max(64),
    drop_id: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .openapi({
        description:
          "The drop the units come from. Required while the offer has an open or upcoming drop: such " +
          "an offer sells only through it (422 on `/drop_id` names the drops to use).",
      }),
    quantity: z.number().int().min(1).max(100).default(1),
    currency: CurrencySchema.optional().openapi({
      description: "Asked-for currency; the offer must be priced in it.",
    }),
    coupon: z.string().min(1).max(40).optional(),
    source: z
      .enum(orderSources)
      .optional()
      .openapi({
        description:
          "Where the buyer is quoting from (the hosted page sends its link's): counted for conversion by " +
          "source (docs/metrics.md), never part of the price. Default: `api` with an API key, else none.",
      }),
    upsell_of: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .openapi({ description: "Upsells only: the buyer's just-paid order this offer follows." }),
    member_id: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .openapi({
        description:
          "With the creator's API key only: quote for this member (tier pricing, their experiment arm). " +
          "Buyers present `member_token` instead.",
      }),
    member_token: z
      .string()
      .min(1)
      .max(8192)
      .optional()
      .openapi({
        description:
          "A signed-in buyer's entitlement token (for this creator or one of its surfaces): quote them as " +
          "that member. Refused like introspection refuses it: 410 token-expired or token-revoked, 422 " +
          "token-invalid.",
      }),
  })
  .openapi("CreateQuote");

export const VerifyQuoteBody = z.strictObject({ token: z.string().min(1).max(4096) }).openapi("VerifyQuote");

export const VerifiedQuoteSchema = z
  .object({
    object: z.literal("verified_quote"),
    id: z.string(),
    offer_id: z.string(),
    drop_id: z.string().nullable(),
    drops: BoundDrops,
    quantity: z.number().int(),
    currency: z.string(),
    total: z.number().int(),
    lines: z.array(Line),
    experiment: z.object({ id: z.string(), arm: z.string() }).nullable(),
    coupon: z.string().nullable(),
    upsell_of: z.string().nullable(),
    buyer_key: z.string(),
    issued_at: z.string().openapi({ format: "date-time" }),
    expires_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("VerifiedQuote");

export const CountryHeaders = z.object({
  "buyer-country": Country.optional().openapi({
    description:
      "Development and tests only: the buyer's country. In production it comes from the network " +
      "(`request.cf.country`) and this header is ignored.",
  }),
});

export type PriceView = z.infer<typeof PriceSchema>;
export type QuoteView = z.infer<typeof QuoteSchema>;
export type VerifiedQuoteView = z.infer<typeof VerifiedQuoteSchema>;
export type CreateQuoteInput = z.infer<typeof CreateQuoteBody>;
