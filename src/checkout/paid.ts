/**
 * Completion when a payment succeeded: the units are secured (the hold committed, or re-reserved if it
 * lapsed), then one guarded batch marks the checkout and order paid, grants the entitlement and redeems
 * the coupon. If the units are gone the payment is refunded in full: money is never kept without access.
 */
import { eq } from "drizzle-orm";
import { exhaustion } from "../coupons/rules";
import { findCouponByCode, redemptionState, redemptionWrites } from "../coupons/store";
import type { Write } from "../db/client";
import { checkouts, type EntitlementRow, type OrderRow, offers, orders } from "../db/schema";
import { periodEnd } from "../entitlements/rules";
import { grantWrite } from "../entitlements/store";
import { newId } from "../lib/ids";
import type { Payment } from "../payments/provider";
import { secureAll } from "./holds";
import { memberForEmail } from "./store";
import {
  audit,
  type Loaded,
  land,
  moveWrites,
  type PaymentContext,
  refundInFull,
  type Settled,
  UNPAID,
} from "./transition";

/** Payment succeeded (see the file's comment). Changes nothing for a checkout already paid or refunded. */
export async function markPaid(
  ctx: PaymentContext,
  loaded: Loaded,
  /** Null for an order with nothing to charge (a zero total). */
  payment: Payment | null,
  via: "confirm" | "event",
): Promise<Settled> {
  const { checkout, order } = loaded;
  if (checkout.status === "paid" || checkout.status === "refunded") return "unchanged";
  if (payment === null && order.amountTotal !== 0) return "unchanged";
  // Wall time (it advances across I/O in workerd): when success was learned, and, after the batch,
  // when the entitlement landed. Their difference is the time to entitlement creators watch.
  const learnedAt = Date.now();
  const units = await secureAll(ctx, checkout, order);
  if (units === "sold_out") return refundUnsellable(ctx, loaded, payment);
  const holdId = units.holds[0]?.holdId ?? null;
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
    holdId,
    holds: units.holds.length === 0 ? null : JSON.stringify(units.holds),
    // A payment completed by an event after the create's answer was lost: it is this order's now.
    paymentId: checkout.paymentId ?? payment?.id ?? null,
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
      .set({
        status: "paid",
        paidAt: ctx.now,
        memberId,
        holdId,
        providerPaymentId: order.providerPaymentId ?? payment?.id ?? null,
        updatedAt: ctx.now,
      })
      .where(eq(orders.id, order.id)),
    grantWrite(ctx.db, grantFor(ctx, order, memberId, interval)),
    audit(ctx, loaded, "order.paid", { payment_id: payment?.id ?? null, via }),
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
  } catch (error) {
    // Still unpaid. If the coupon's guard refused (its last slot went to someone else after this buyer
    // was quoted it), the buyer paid the quoted price, so the order lands anyway and the over-cap
    // redemption is recorded for the creator. Any other failure (a transient D1 error) is thrown, so
    // the redemption is never silently dropped: the caller's retry lands both.
    if (await couponStillRedeemable(ctx, loaded, coupon.id)) throw error;
    return land(ctx.db, checkout.id, UNPAID, [
      ...core,
      audit(ctx, loaded, "coupon.honoured_over_cap", { code: order.couponCode }),
    ]);
  }
}

/** Whether the redemption would land now: then its guard was not what refused the batch. */
async function couponStillRedeemable(ctx: PaymentContext, { checkout, order }: Loaded, couponId: string) {
  const state = await redemptionState(ctx.db, {
    creatorId: order.creatorId,
    couponId,
    orderId: order.id,
    buyerKey: order.buyerKey ?? checkout.buyerKey,
  });
  const c = state.coupon;
  return (
    c !== undefined &&
    c.status === "active" &&
    !state.alreadyRedeemed &&
    exhaustion(c, state.buyerRedemptions) === null
  );
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

/** Paid after the hold lapsed and nothing is left: refund in full, record why, grant nothing. */
async function refundUnsellable(
  ctx: PaymentContext,
  loaded: Loaded,
  payment: Payment | null,
): Promise<Settled> {
  const { checkout, order } = loaded;
  let reason = "paid_after_hold_expired_sold_out";
  if (payment !== null) {
    const refunded = await refundInFull(ctx, payment, {
      idempotencyKey: `auto-refund:${checkout.id}`,
      metadata: { order_id: order.id, reason },
    });
    if (refunded === "charged_back") reason = "paid_after_hold_expired_sold_out_charged_back";
  }
  return land(ctx.db, checkout.id, UNPAID, [
    ...moveWrites(ctx.db, checkout.id, UNPAID, {
      status: "refunded",
      autoRefundReason: reason,
      paymentSucceededAt: checkout.paymentSucceededAt ?? ctx.now,
      updatedAt: ctx.now,
    }),
    ctx.db.update(orders).set({ status: "refunded", updatedAt: ctx.now }).where(eq(orders.id, order.id)),
    audit(ctx, loaded, "order.refunded", { reason, payment_id: payment?.id ?? null }),
  ]);
}
