/**
 * Completion when a payment succeeded: the units are secured (the hold committed, or re-reserved if it
 * lapsed), then one guarded batch marks the checkout and order paid, grants the entitlement and redeems
 * the coupon. If the units are gone the payment is refunded in full: money is never kept without access.
 */
import { eq } from "drizzle-orm";
import { findCouponByCode, redemptionWrites } from "../coupons/store";
import type { Write } from "../db/client";
import { checkouts, type EntitlementRow, type OrderRow, offers, orders } from "../db/schema";
import { periodEnd } from "../entitlements/rules";
import { grantWrite } from "../entitlements/store";
import { AppError } from "../errors";
import { newId } from "../lib/ids";
import type { Payment } from "../payments/provider";
import { memberForEmail } from "./store";
import {
  audit,
  type Loaded,
  land,
  moveWrites,
  type PaymentContext,
  type Settled,
  UNPAID,
} from "./transition";

/** Payment succeeded (see the file's comment). Changes nothing for a checkout already paid or refunded. */
export async function markPaid(
  ctx: PaymentContext,
  loaded: Loaded,
  payment: Payment,
  via: "confirm" | "event",
): Promise<Settled> {
  const { checkout, order } = loaded;
  if (checkout.status === "paid" || checkout.status === "refunded") return "unchanged";
  // Wall time (it advances across I/O in workerd): when success was learned, and, after the batch,
  // when the entitlement landed. Their difference is the time to entitlement creators watch.
  const learnedAt = Date.now();
  const units = await secureUnits(ctx, loaded);
  if (units === "sold_out") return refundUnsellable(ctx, loaded, payment);
  // Independent reads, side by side: the member (found or created by email), the offer, the coupon.
  const [memberId, interval, coupon] = await Promise.all([
    checkout.memberId ??
      memberForEmail(ctx.db, {
        creatorId: checkout.creatorId,
        email: checkout.email,
        source: order.source,
        now: ctx.now,
        newId: newId("member"),
      }),
    billingIntervalOf(ctx, order.offerId),
    order.couponCode === null ? undefined : findCouponByCode(ctx.db, order.creatorId, order.couponCode),
  ]);
  const paid = {
    status: "paid" as const,
    memberId,
    holdId: units.holdId,
    paymentSucceededAt: checkout.paymentSucceededAt ?? learnedAt,
    entitlementIssuedAt: ctx.now,
    completedBy: via,
    nextAction: null,
    updatedAt: ctx.now,
  };
  const core = [
    ...moveWrites(ctx.db, checkout.id, UNPAID, paid),
    ctx.db
      .update(orders)
      .set({ status: "paid", paidAt: ctx.now, memberId, holdId: units.holdId, updatedAt: ctx.now })
      .where(eq(orders.id, order.id)),
    grantWrite(ctx.db, grantFor(ctx, order, memberId, interval)),
    audit(ctx, loaded, "order.paid", { payment_id: payment.id, via }),
  ];
  const settled = await landPaid(ctx, loaded, core, coupon);
  if (settled === "changed") {
    await ctx.db
      .update(checkouts)
      .set({ entitlementIssuedAt: Date.now() })
      .where(eq(checkouts.id, checkout.id));
  }
  return settled;
}

/** The paid batch, with the coupon's redemption when there is one (honoured over its cap if need be). */
async function landPaid(
  ctx: PaymentContext,
  loaded: Loaded,
  core: Write[],
  coupon: { id: string } | undefined,
): Promise<Settled> {
  const { checkout, order } = loaded;
  if (coupon === undefined) return land(ctx.db, checkout.id, UNPAID, core);
  const redemption = redemptionWrites(ctx.db, {
    couponId: coupon.id,
    orderId: order.id,
    buyerKey: order.buyerKey ?? checkout.buyerKey,
    now: ctx.now,
  });
  try {
    return await land(ctx.db, checkout.id, UNPAID, [...core, ...redemption]);
  } catch {
    // Still unpaid, so the coupon's guard refused: its last slot went to someone else after this buyer
    // was quoted it. The buyer paid the quoted price, so the order lands anyway and the over-cap
    // redemption is recorded for the creator.
    return land(ctx.db, checkout.id, UNPAID, [
      ...core,
      audit(ctx, loaded, "coupon.honoured_over_cap", { code: order.couponCode }),
    ]);
  }
}

/** The entitlement an order grants: the offer, lifetime, or one billing period for a membership tier. */
function grantFor(
  ctx: PaymentContext,
  order: OrderRow,
  memberId: string,
  interval: "month" | "year" | null,
): EntitlementRow {
  return {
    id: newId("entitlement"),
    creatorId: order.creatorId,
    memberId,
    offerId: order.offerId,
    benefitKey: order.offerId,
    sourceType: "order",
    sourceId: order.id,
    grantedAt: ctx.now,
    expiresAt: interval ? periodEnd(ctx.now, interval) : null,
    revokedAt: null,
    revokeReason: null,
  };
}

/** A membership tier's billing interval: its entitlement lasts one period. Null for anything else. */
async function billingIntervalOf(ctx: PaymentContext, offerId: string): Promise<"month" | "year" | null> {
  const [offer] = await ctx.db
    .select({ kind: offers.kind, billingInterval: offers.billingInterval })
    .from(offers)
    .where(eq(offers.id, offerId))
    .limit(1);
  return offer?.kind === "membership" ? offer.billingInterval : null;
}

/** Commits the hold; if it lapsed, takes the units again while any remain. */
async function secureUnits(
  ctx: PaymentContext,
  { checkout, order }: Loaded,
): Promise<{ holdId: string | null } | "sold_out"> {
  if (checkout.dropId === null || checkout.holdId === null) return { holdId: null };
  const committed = await ctx.inventory.commit(checkout.dropId, checkout.holdId, order.id);
  if (committed.ok) return { holdId: checkout.holdId };
  const again = await ctx.inventory.reserve(checkout.dropId, {
    buyer: checkout.buyerKey,
    quantity: order.quantity,
    allowPartial: false,
    // Both sides may get here at once: one key means one new hold between them.
    idempotencyKey: `late-payment:${checkout.id}`,
  });
  if (!again.ok) {
    // The other side is taking the same units right now, or the object is saturated: not a sell-out.
    // Throwing leaves the checkout as it was; the confirm answers 503 and an event is retried later.
    if (again.reason === "idempotency_in_flight" || again.reason === "overloaded") {
      throw new AppError("overloaded", "The drop is busy securing these units; retry shortly.", {
        headers: { "retry-after": "1" },
      });
    }
    return "sold_out";
  }
  const recommitted = await ctx.inventory.commit(checkout.dropId, again.hold.id, order.id);
  return recommitted.ok ? { holdId: again.hold.id } : "sold_out";
}

/** Paid after the hold lapsed and nothing is left: refund in full, record why, grant nothing. */
async function refundUnsellable(ctx: PaymentContext, loaded: Loaded, payment: Payment): Promise<Settled> {
  const { checkout, order } = loaded;
  const reason = "paid_after_hold_expired_sold_out";
  if (payment.amountRefunded < payment.amount) {
    await ctx.provider.refund(payment.id, {
      idempotencyKey: `auto-refund:${checkout.id}`,
      reason: "requested_by_customer",
      metadata: { order_id: order.id, reason },
    });
  }
  return land(ctx.db, checkout.id, UNPAID, [
    ...moveWrites(ctx.db, checkout.id, UNPAID, {
      status: "refunded",
      autoRefundReason: reason,
      paymentSucceededAt: checkout.paymentSucceededAt ?? ctx.now,
      updatedAt: ctx.now,
    }),
    ctx.db.update(orders).set({ status: "refunded", updatedAt: ctx.now }).where(eq(orders.id, order.id)),
    audit(ctx, loaded, "order.refunded", { reason, payment_id: payment.id }),
  ]);
}
