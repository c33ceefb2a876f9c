import { z } from "@hono/zod-openapi";
import { checkoutStatuses, orderSources } from "../db/schema";
import { SessionSchema } from "../entitlements/schemas";
import { ShippingAddressBody, ShippingAddressSchema } from "../fulfilment/address";
import { FulfilmentSchema } from "../fulfilment/store";

export const CreateCheckoutBody = z
  .strictObject({
    quote: z.string().min(1).max(4096).openapi({ description: "The quote token from POST /v1/quotes." }),
    email: z.email().max(254).openapi({ description: "The buyer's email: their member record and receipt." }),
    member_token: z.string().min(1).max(8192).optional().openapi({
      description: "A signed-in buyer's entitlement token; the quote must have been made for them.",
    }),
    payment_method: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .openapi({
        description:
          "Confirm at once with this method: a Stripe PaymentMethod id, or with the sandbox a test card number. " +
          "Without it, confirm on the client with `payment.client_secret`.",
        example: "4242 4242 4242 4242",
      }),
    return_url: z.url().max(2000).optional().openapi({ description: "Where 3-D Secure returns the buyer." }),
    source: z.enum(orderSources).default("link").openapi({ description: "Where the buyer came from." }),
    attribution: z
      .record(z.string().regex(/^[a-z0-9_]{1,40}$/), z.string().max(200))
      .refine((a) => Object.keys(a).length <= 20, "At most 20 keys")
      .optional()
      .openapi({ description: "Campaign, stream, placement…: stored with the order for reporting." }),
    shipping_address: ShippingAddressBody.optional().openapi({
      description:
        "Where a physical offer ships: required when the offer (or a bundle's component) requires shipping, " +
        "refused otherwise; validated for its country (docs/fulfilment.md).",
    }),
  })
  .openapi("CreateCheckout");

export const ConfirmCheckoutBody = z
  .strictObject({
    payment_method: z.string().min(1).max(100).optional(),
  })
  .openapi("ConfirmCheckout");

export const CheckoutSecretHeader = z.object({
  "checkout-secret": z.string().min(1).max(200).openapi({
    description: "The `secret` the checkout was created with: only its holder can read or confirm it.",
  }),
});

export const CheckoutSchema = z
  .object({
    id: z.string(),
    object: z.literal("checkout"),
    status: z.enum(checkoutStatuses),
    order_id: z.string(),
    offer_id: z.string(),
    drop_id: z.string().nullable(),
    quantity: z.number().int(),
    amount: z.number().int().openapi({ description: "Minor units." }),
    currency: z.string(),
    lines: z.array(z.object({ type: z.string(), amount: z.number().int(), ref: z.string().optional() })),
    email: z.string(),
    member_id: z.string().nullable(),
    hold: z.object({ id: z.string(), expires_at: z.string().nullable(), extended: z.boolean() }).nullable(),
    payment: z.object({
      provider: z.string(),
      id: z.string().nullable(),
      client_secret: z.string().nullable(),
      next_action: z.object({ type: z.string(), redirectUrl: z.string().nullable() }).nullable(),
    }),
    failure: z
      .object({ code: z.string(), decline_code: z.string().nullable(), message: z.string().nullable() })
      .nullable(),
    auto_refund_reason: z.string().nullable(),
    created_at: z.string(),
    paid_at: z.string().nullable(),
  })
  .openapi("Checkout");
export type CheckoutView = z.infer<typeof CheckoutSchema>;

export const PaidCheckoutSchema = CheckoutSchema.extend({
  entitlement: SessionSchema.extend({
    refresh_token: z.string().nullable().openapi({
      description: "Null once it has been exchanged: keep the successor you got then.",
    }),
    refresh_expires_at: z.string().nullable(),
  })
    .nullable()
    .openapi({ description: "Once paid: a fresh entitlement token and the session's refresh credential." }),
}).openapi("CheckoutWithEntitlement");

export const CreatedCheckoutSchema = PaidCheckoutSchema.extend({
  secret: z.string().openapi({
    description:
      "Shown only here (and on a replay of this request): send it as `Checkout-Secret` to read or confirm.",
  }),
}).openapi("CreatedCheckout");
export type PaidCheckoutView = z.infer<typeof PaidCheckoutSchema>;

export const OrderSchema = z
  .object({
    id: z.string(),
    object: z.literal("order"),
    status: z.enum(["pending", "paid", "failed", "cancelled", "refunded"]),
    offer_id: z.string(),
    drop_id: z.string().nullable(),
    quantity: z.number().int(),
    amount: z.number().int().openapi({ description: "Minor units." }),
    currency: z.string(),
    email: z.string(),
    member_id: z.string().nullable(),
    source: z.string(),
    payment: z.object({
      provider: z.string().nullable(),
      id: z.string().nullable(),
      reference: z
        .string()
        .nullable()
        .openapi({ description: "A point of sale's own reference for a card it captured offline." }),
    }),
    created_at: z.string(),
    paid_at: z.string().nullable(),
    dispute: z.object({ id: z.string(), status: z.string(), disputed_at: z.string() }).nullable().openapi({
      description: "The buyer's bank disputed the payment: its access was revoked (a chargeback).",
    }),
    shipping_address: ShippingAddressSchema.nullable().openapi({
      description: "Where a physical order ships, as validated at checkout; null for a digital one.",
    }),
    fulfilment: FulfilmentSchema.nullable().openapi({
      description: "A paid physical order's route and status (docs/fulfilment.md); null otherwise.",
    }),
    payout: z
      .object({
        destination_account: z
          .string()
          .openapi({ description: "The creator's connected account (`acct_…`)." }),
        platform_fee: z.number().int().openapi({ description: "Minor units the platform kept." }),
        creator_share: z.number().int().openapi({ description: "Minor units transferred to the account." }),
      })
      .nullable()
      .openapi({
        description:
          "A destination charge (docs/payouts.md): how the payment was split; null when the platform's own account took it.",
      }),
  })
  .openapi("Order");
export type OrderView = z.infer<typeof OrderSchema>;

export const RefundOrderBody = z
  .strictObject({
    reason: z.enum(["requested_by_customer", "duplicate", "fraudulent"]).default("requested_by_customer"),
  })
  .openapi("RefundOrder");

/** The buyer's receipt: the order without the platform's split, which is between it and the creator. */
export const ReceiptSchema = OrderSchema.omit({ payout: true })
  .extend({
    object: z.literal("receipt"),
    lines: z.array(z.object({ type: z.string(), amount: z.number().int(), ref: z.string().optional() })),
    entitlements: z.array(
      z.object({
        id: z.string(),
        benefit_key: z.string(),
        expires_at: z.string().nullable(),
        revoked_at: z.string().nullable(),
      }),
    ),
  })
  .openapi("Receipt");
export type ReceiptView = z.infer<typeof ReceiptSchema>;
