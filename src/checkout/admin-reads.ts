/**
 * The creator's reads of its checkouts (issue 17, part 1): a filtered, cursor-paginated list, newest
 * first over checkouts(creator_id, created_at, id), each row as the creator sees it: status, amount and
 * lines, the payment, failure and decline codes, the hold's expiry, attribution, time to entitlement and
 * what the provider cost. Never the secret's hash nor the provider's client secret: those are the
 * buyer's (GET /v1/checkouts/{id} with `Checkout-Secret` is the buyer's read; the creator's read of one
 * checkout is its order's, GET /v1/orders/{id}, which carries it).
 */
import { z } from "@hono/zod-openapi";
import { and, eq, gte, lt, type SQL } from "drizzle-orm";
import type { Call } from "../context";
import { keyset } from "../db/keyset";
import { type CheckoutRow, checkoutStatuses, checkouts, type OrderRow, orders } from "../db/schema";
import { PageQuerySchema } from "../http/pagination";
import { toIso, toIsoOrNull } from "../lib/time";
import { normalizeEmail } from "../members/verbs";
import { CheckoutSchema } from "./schemas";
import { holdsOf } from "./store";

const Id = z.string().min(1).max(64);
const Instant = z.iso.datetime({ offset: true });

export const ListCheckoutsQuery = PageQuerySchema.extend({
  status: z.enum(checkoutStatuses).optional(),
  drop_id: Id.optional(),
  member_id: Id.optional(),
  email: z.string().max(254).transform(normalizeEmail).pipe(z.email()).optional().openapi({
    type: "string",
    format: "email",
    description: "The buyer's email, exactly (compared trimmed and lower-cased, as checkout stores it).",
  }),
  created_from: Instant.optional().openapi({ description: "Checkouts created at or after this instant." }),
  created_to: Instant.optional().openapi({ description: "Checkouts created before this instant." }),
});
export type ListCheckoutsInput = z.infer<typeof ListCheckoutsQuery>;

const DateTime = z.string().openapi({ format: "date-time" });

/** The buyer's view of a checkout (CheckoutSchema) without its secrets, plus what only the creator sees. */
export const AdminCheckoutSchema = CheckoutSchema.pick({
  id: true,
  object: true,
  status: true,
  order_id: true,
  offer_id: true,
  drop_id: true,
  quantity: true,
  amount: true,
  currency: true,
  lines: true,
  email: true,
  member_id: true,
  failure: true,
  auto_refund_reason: true,
})
  .extend({
    source: z.string(),
    holds: z
      .array(z.object({ drop_id: z.string(), hold_id: z.string(), quantity: z.number().int() }))
      .openapi({ description: "Every hold it took (a bundle holds one per component drop)." }),
    hold_expires_at: DateTime.nullable(),
    hold_extended: z.boolean(),
    payment: z.object({
      provider: z.string(),
      id: z.string().nullable(),
      next_action: z
        .string()
        .nullable()
        .openapi({ description: "`redirect_to_url` while 3-D Secure waits." }),
    }),
    attribution: z.record(z.string(), z.string()).nullable(),
    payment_succeeded_at: DateTime.nullable(),
    entitlement_issued_at: DateTime.nullable(),
    time_to_entitlement_ms: z.number().int().nullable().openapi({
      description:
        "From learning the payment succeeded to the entitlement landing; null until both happened.",
    }),
    completed_by: z
      .string()
      .nullable()
      .openapi({ description: "Which side completed it first: `confirm` (the buyer) or `event` (webhook)." }),
    provider_stats: z
      .object({ attempts: z.number().int(), retries: z.number().int(), latency_ms: z.number().int() })
      .openapi({ description: "The payment provider's calls for this checkout, summed." }),
    created_at: DateTime,
    updated_at: DateTime,
    paid_at: DateTime.nullable(),
  })
  .openapi("AdminCheckout");
export type AdminCheckoutView = z.infer<typeof AdminCheckoutSchema>;

/** The order columns a creator's checkout shows, for a select beside the checkout's own. */
export const orderColumns = {
  offerId: orders.offerId,
  quantity: orders.quantity,
  amountTotal: orders.amountTotal,
  currency: orders.currency,
  source: orders.source,
  paidAt: orders.paidAt,
};
type OrderPart = Pick<OrderRow, keyof typeof orderColumns>;

export function renderAdminCheckout(c: CheckoutRow, order: OrderPart): AdminCheckoutView {
  const failed = c.failureCode ?? c.declineCode;
  const nextAction =
    c.status === "requires_action" && c.nextAction !== null
      ? ((JSON.parse(c.nextAction) as { type?: string }).type ?? null)
      : null;
  return {
    id: c.id,
    object: "checkout",
    status: c.status,
    order_id: c.orderId,
    offer_id: order.offerId,
    drop_id: c.dropId,
    quantity: order.quantity,
    amount: order.amountTotal,
    currency: order.currency,
    lines: JSON.parse(c.lines) as AdminCheckoutView["lines"],
    email: c.email,
    member_id: c.memberId,
    source: order.source,
    holds: holdsOf(c, order.quantity).map((h) => ({
      drop_id: h.dropId,
      hold_id: h.holdId,
      quantity: h.quantity,
    })),
    hold_expires_at: toIsoOrNull(c.holdExpiresAt),
    hold_extended: c.holdExtended,
    payment: { provider: c.provider, id: c.paymentId, next_action: nextAction },
    failure:
      failed == null
        ? null
        : { code: c.failureCode ?? "card_declined", decline_code: c.declineCode, message: c.failureMessage },
    auto_refund_reason: c.autoRefundReason,
    attribution: c.attribution === null ? null : (JSON.parse(c.attribution) as Record<string, string>),
    payment_succeeded_at: toIsoOrNull(c.paymentSucceededAt),
    entitlement_issued_at: toIsoOrNull(c.entitlementIssuedAt),
    time_to_entitlement_ms:
      c.paymentSucceededAt === null || c.entitlementIssuedAt === null
        ? null
        : Math.max(0, c.entitlementIssuedAt - c.paymentSucceededAt),
    completed_by: c.completedBy,
    provider_stats: {
      attempts: c.providerAttempts,
      retries: c.providerRetries,
      latency_ms: c.providerLatencyMs,
    },
    created_at: toIso(c.createdAt),
    updated_at: toIso(c.updatedAt),
    paid_at: toIsoOrNull(order.paidAt),
  };
}

function checkoutFilter(input: ListCheckoutsInput): SQL | undefined {
  return and(
    input.status === undefined ? undefined : eq(checkouts.status, input.status),
    input.drop_id === undefined ? undefined : eq(checkouts.dropId, input.drop_id),
    input.member_id === undefined ? undefined : eq(checkouts.memberId, input.member_id),
    input.email === undefined ? undefined : eq(checkouts.email, input.email),
    input.created_from === undefined ? undefined : gte(checkouts.createdAt, Date.parse(input.created_from)),
    input.created_to === undefined ? undefined : lt(checkouts.createdAt, Date.parse(input.created_to)),
  );
}

/** One page of the creator's checkouts, newest first, each with the order columns it shows. */
export async function listCheckouts({ ctx, input }: Call<ListCheckoutsInput>) {
  const page = keyset(checkouts.createdAt, checkouts.id, input);
  // One statement, not a batch: a join outside a batch is answered by position, so the two tables'
  // `id` and `status` columns cannot collide.
  const rows = await ctx.db
    .select({ checkout: checkouts, order: orderColumns })
    .from(checkouts)
    .innerJoin(orders, and(eq(orders.id, checkouts.orderId), eq(orders.creatorId, checkouts.creatorId)))
    .where(and(eq(checkouts.creatorId, ctx.creatorId), checkoutFilter(input), page.where))
    .orderBy(...page.orderBy)
    .limit(page.fetch);
  return page.page(
    rows,
    (r) => ({ t: r.checkout.createdAt, id: r.checkout.id }),
    (r) => renderAdminCheckout(r.checkout, r.order),
  );
}

/** The statement reading one order's checkout, for the order read's batch (src/orders/reads.ts). */
export const checkoutOfOrderRead = (ctx: Call<unknown>["ctx"], orderId: string) =>
  ctx.db
    .select()
    .from(checkouts)
    .where(and(eq(checkouts.creatorId, ctx.creatorId), eq(checkouts.orderId, orderId)))
    .limit(1);
