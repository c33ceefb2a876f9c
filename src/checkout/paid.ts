/**
 * Completion when a payment succeeded: the units are secured (the hold committed, or re-reserved if it
 * lapsed), then one guarded batch marks the checkout and order paid, grants the entitlement and redeems
 * the coupon. If the units are gone the payment is refunded in full: money is never kept without access.
 */
import { eq } from "drizzle-orm";
import { exhaustion } from "../coupons/rules";
import { findCouponByCode, redemptionState, redemptionWrites } from "../coupons/store";
import type { Db, Write } from "../db/client";
import {
  type BillingInterval,
  type CheckoutRow,
  checkouts,
  type EntitlementRow,
  type OrderRow,
  offers,
  orders,
} from "../db/schema";
import { grantAuditWrite, grantWrite } from "../entitlements/store";
import { fulfilmentColumns } from "../fulfilment/checkout";
import { type FulfilmentInputs, fulfilmentInputs } from "../fulfilment/store";
import { newId } from "../lib/ids";
import type { Payment } from "../payments/provider";
import { membershipStartWrites } from "../subscriptions/start";
import { type HeldUnits, secureAll } from "./holds";
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
  if (!payable(loaded, payment)) return "unchanged";
  // Wall time (it advances across I/O in workerd): when success was learned, and, after the batch,
  // when the entitlement landed. Their difference is the time to entitlement creators watch.
  const learnedAt = Date.now();
  const units = await secureAll(ctx, checkout, order);
  if (units === "sold_out") return refundUnsellable(ctx, loaded, payment);
  // Independent reads, side by side: the member (found or created by email), the offer, the coupon,
  // and for a physical order (one with an address) the routing rule and hubs.
  const [memberId, interval, coupon, fulfilment] = await Promise.all([
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
    order.shippingAddress === null ? undefined : fulfilmentInputs(ctx.db, order.creatorId),
  ]);
  const paid = paidLanding(ctx, loaded, payment, { via, units, memberId, interval, learnedAt, fulfilment });
  const settled = await landPaid(ctx, loaded, paid.writes, coupon);
  if (settled === "changed") {
    await ctx.db
      .update(checkouts)
      .set({ entitlementIssuedAt: Date.now() })
      .where(eq(checkouts.id, checkout.id));
  }
  return settled;
}

/** Whether this payment (null: nothing to charge) may still complete this checkout. */
export const payable = ({ checkout, order }: Loaded, payment: Payment | null): boolean =>
  checkout.status !== "paid" &&
  checkout.status !== "refunded" &&
  (payment !== null || order.amountTotal === 0);

/** What landing paid depends on, besides the rows: read by markPaid, or by the create's first batch. */
export interface PaidInputs {
  via: "confirm" | "event";
  units: { holds: HeldUnits[] };
  memberId: string;
  interval: BillingInterval | null;
  learnedAt: number;
  /** When the entitlement counts as issued; markPaid stamps it again once its batch has landed. */
  issuedAt?: number;
  /** More of the checkout's columns for the same guarded move (the create's payment, in one batch). */
  checkout?: Partial<CheckoutRow>;
  /** A physical order's routing rule and hubs: its route, hub and batch window land in the same batch. */
  fulfilment?: FulfilmentInputs | undefined;
}

/**
 * The paid batch's core (the guarded move, the order, the grant, the audit row) and the rows as they
 * stand once it lands, so a caller that built the batch can answer without reading them back.
 */
export function paidLanding(ctx: PaymentContext, loaded: Loaded, payment: Payment | null, p: PaidInputs) {
  const { checkout, order } = loaded;
  const holdId = p.units.holds[0]?.holdId ?? null;
  const checkoutChanges = {
    ...p.checkout,
    status: "paid" as const,
    memberId: p.memberId,
    holdId,
    holds: p.units.holds.length === 0 ? null : JSON.stringify(p.units.holds),
    // A payment completed by an event after the create's answer was lost: it is this order's now.
    paymentId: checkout.paymentId ?? payment?.id ?? null,
    paymentSucceededAt: checkout.paymentSucceededAt ?? p.learnedAt,
    entitlementIssuedAt: p.issuedAt ?? ctx.now,
    completedBy: p.via,
    nextAction: null,
    updatedAt: ctx.now,
  };
  const orderChanges = {
    status: "paid" as const,
    paidAt: ctx.now,
    memberId: p.memberId,
    holdId,
    providerPaymentId: order.providerPaymentId ?? payment?.id ?? null,
    ...fulfilmentColumns(order, p.fulfilment, ctx.now),
    updatedAt: ctx.now,
  };
  const writes: Write[] = [
    ...moveWrites(ctx.db, checkout.id, UNPAID, checkoutChanges),
    ctx.db.update(orders).set(orderChanges).where(eq(orders.id, order.id)),
    // A membership tier starts a renewing subscription, which grants the tier; anything else is granted here.
    ...(p.interval === null
      ? grantWrites(ctx, order, p.memberId)
      : membershipStartWrites(ctx, { order, payment, memberId: p.memberId, billing: p.interval })),
    audit(ctx, loaded, "order.paid", { payment_id: payment?.id ?? null, via: p.via }),
  ];
  return {
    writes,
    checkout: { ...checkout, ...checkoutChanges } as CheckoutRow,
    order: { ...order, ...orderChanges } as OrderRow,
  };
}

/** The coupon's redemption for the paid batch: the statements guard its cap and its per-buyer limit. */
export const redemptionFor = (ctx: PaymentContext, { checkout, order }: Loaded, couponId: string) =>
  redemptionWrites(ctx.db, {
    couponId,
    orderId: order.id,
    buyerKey: order.buyerKey ?? checkout.buyerKey,
    now: ctx.now,
  });

/** The paid batch, with the coupon's redemption when there is one (honoured over its cap if need be). */
async function landPaid(
  ctx: PaymentContext,
  loaded: Loaded,
  core: Write[],
  coupon: { id: string } | undefined,
): Promise<Settled> {
  const { checkout, order } = loaded;
  if (coupon === undefined) return land(ctx.db, checkout.id, UNPAID, core);
  try {
    return await land(ctx.db, checkout.id, UNPAID, [...core, ...redemptionFor(ctx, loaded, coupon.id)]);
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

/** What a one-off order grants: the offer, for good. */
/** The order's grant and its audit row (`entitlement.granted`, for the creator's webhooks too). */
function grantWrites(ctx: PaymentContext, order: OrderRow, memberId: string): Write[] {
  const grant = grantFor(ctx, order, memberId);
  return [grantWrite(ctx.db, grant), grantAuditWrite(ctx.db, grant, `provider:${ctx.provider.name}`)];
}

function grantFor(ctx: PaymentContext, order: OrderRow, memberId: string): EntitlementRow {
  return {
    id: newId("entitlement"),
    creatorId: order.creatorId,
    memberId,
    offerId: order.offerId,
    benefitKey: order.offerId,
    sourceType: "order",
    sourceId: order.id,
    grantedAt: ctx.now,
    expiresAt: null,
    revokedAt: null,
    revokeReason: null,
  };
}

/** A membership tier's billing interval: its entitlement lasts one period. Null for anything else. */
export const intervalRead = (db: Db, offerId: string) =>
  db
    .select({ kind: offers.kind, billingInterval: offers.billingInterval })
    .from(offers)
    .where(eq(offers.id, offerId))
    .limit(1);

export const intervalOf = ([offer]: Awaited<ReturnType<typeof intervalRead>>) =>
  offer?.kind === "membership" ? offer.billingInterval : null;

const billingIntervalOf = async (ctx: PaymentContext, offerId: string) =>
  intervalOf(await intervalRead(ctx.db, offerId));

/** Paid after the hold lapsed and nothing is left: refund in full, record why, grant nothing. */
export async function refundUnsellable(
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
