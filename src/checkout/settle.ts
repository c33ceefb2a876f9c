/**
 * The completion path. Both sides call it with the payment as the provider reports it: the buyer's
 * confirm and every provider event (Stripe webhooks, sandbox events). Each transition is one guarded D1
 * batch that lands only if the checkout is still in a state it may leave, so whichever side arrives
 * first changes things and the other changes nothing. The drop's object is asked first (commit is
 * idempotent per order), so no order is ever marked paid without its units.
 */
import { and, eq, inArray } from "drizzle-orm";
import { auditWrite } from "../audit";
import { findCouponByCode, redemptionWrites } from "../coupons/store";
import { type Db, expectOneChange, type Write } from "../db/client";
import { type CheckoutRow, checkouts, type OrderRow, offers, orders } from "../db/schema";
import { periodEnd } from "../entitlements/rules";
import { grantWrite, revokeSourceWrites } from "../entitlements/store";
import type { InventoryGateway } from "../inventory/gateway";
import { newId } from "../lib/ids";
import type { Payment, PaymentProvider } from "../payments/provider";
import { loadCheckout, memberForEmail } from "./store";

export interface PaymentContext {
  db: Db;
  inventory: InventoryGateway;
  provider: PaymentProvider;
  now: number;
}

type Loaded = { checkout: CheckoutRow; order: OrderRow };
type Status = CheckoutRow["status"];
/** Awaiting the buyer. */
const OPEN: Status[] = ["pending", "requires_action"];
/**
 * Any state a succeeded payment may still complete: a decline can be followed by a successful retry on
 * the same payment, and a payment can succeed after its hold lapsed.
 */
const UNPAID: Status[] = ["pending", "requires_action", "failed", "expired"];
export type Settled = "changed" | "unchanged" | "unknown_payment";

/** Applies what the provider says about a payment to its checkout, exactly once per transition. */
export async function settlePayment(
  ctx: PaymentContext,
  payment: Payment,
  via: "confirm" | "event",
): Promise<Settled> {
  const checkoutId = payment.metadata.checkout_id;
  const loaded = checkoutId === undefined ? undefined : await loadCheckout(ctx.db, checkoutId);
  if (loaded === undefined || loaded.checkout.provider !== ctx.provider.name) return "unknown_payment";
  switch (payment.status) {
    case "succeeded": {
      const paid = await markPaid(ctx, loaded, payment, via);
      if (payment.amountRefunded < payment.amount) return paid;
      // Refunded in full: whatever order the news came in, the order ends refunded and access revoked.
      const now = await loadCheckout(ctx.db, loaded.checkout.id);
      const refunded = now === undefined ? "unchanged" : await markRefunded(ctx, now, payment);
      return paid === "changed" ? paid : refunded;
    }
    case "requires_action":
      return markRequiresAction(ctx, loaded, payment);
    case "requires_payment_method":
      return payment.lastError === null ? "unchanged" : markFailed(ctx, loaded, payment);
    case "canceled":
      return markExpired(ctx, loaded);
    default:
      return "unchanged";
  }
}

/** The checkout row moves from one of `from` to `changes`, or the batch lands nothing. */
const moveWrites = (db: Db, id: string, from: Status[], changes: Partial<CheckoutRow>): Write[] => [
  db
    .update(checkouts)
    .set(changes)
    .where(and(eq(checkouts.id, id), inArray(checkouts.status, from))),
  expectOneChange(db),
];

/**
 * Runs a transition's batch. A refused batch whose checkout has meanwhile left `from` means the other
 * side got there first: nothing to do. Any other failure is real and is thrown.
 */
async function land(db: Db, checkoutId: string, from: Status[], writes: Write[]): Promise<Settled> {
  const [first, ...rest] = writes;
  if (first === undefined) return "unchanged";
  try {
    await db.batch([first, ...rest]);
    return "changed";
  } catch (error) {
    const current = await loadCheckout(db, checkoutId);
    if (current !== undefined && !from.includes(current.checkout.status)) return "unchanged";
    throw error;
  }
}

const audit = (ctx: PaymentContext, { checkout }: Loaded, action: string, data: unknown) =>
  auditWrite(
    { db: ctx.db, creatorId: checkout.creatorId, actor: `provider:${ctx.provider.name}`, now: ctx.now },
    action,
    { type: "order", id: checkout.orderId },
    data,
  );

async function markRequiresAction(ctx: PaymentContext, loaded: Loaded, payment: Payment): Promise<Settled> {
  const { checkout } = loaded;
  if (checkout.status !== "pending") return "unchanged";
  let holdExpiresAt = checkout.holdExpiresAt;
  let holdExtended = checkout.holdExtended;
  // The buyer is authenticating: keep their units a little longer, once.
  if (checkout.dropId !== null && checkout.holdId !== null && !checkout.holdExtended) {
    const extended = await ctx.inventory.extend(checkout.dropId, checkout.holdId, checkout.buyerKey);
    if (extended.ok) {
      holdExpiresAt = extended.hold.expiresAt;
      holdExtended = true;
    }
  }
  return land(
    ctx.db,
    checkout.id,
    ["pending"],
    [
      ...moveWrites(ctx.db, checkout.id, ["pending"], {
        status: "requires_action",
        nextAction: JSON.stringify(payment.nextAction),
        holdExpiresAt,
        holdExtended,
        updatedAt: ctx.now,
      }),
      audit(ctx, loaded, "checkout.requires_action", { payment_id: payment.id }),
    ],
  );
}

async function markFailed(ctx: PaymentContext, loaded: Loaded, payment: Payment): Promise<Settled> {
  const { checkout } = loaded;
  const failure = payment.lastError;
  const settled = await land(ctx.db, checkout.id, OPEN, [
    ...moveWrites(ctx.db, checkout.id, OPEN, {
      status: "failed",
      failureCode: failure?.code ?? "payment_failed",
      declineCode: failure?.declineCode ?? null,
      failureMessage: failure?.message ?? null,
      updatedAt: ctx.now,
    }),
    ctx.db
      .update(orders)
      .set({ status: "failed", updatedAt: ctx.now })
      .where(eq(orders.id, checkout.orderId)),
    audit(ctx, loaded, "order.failed", { code: failure?.code, decline_code: failure?.declineCode }),
  ]);
  await releaseHold(ctx, checkout);
  return settled;
}

/** The payment was cancelled (an abandoned checkout swept after its hold lapsed). */
async function markExpired(ctx: PaymentContext, loaded: Loaded): Promise<Settled> {
  const { checkout } = loaded;
  const settled = await land(ctx.db, checkout.id, OPEN, [
    ...moveWrites(ctx.db, checkout.id, OPEN, { status: "expired", updatedAt: ctx.now }),
    ctx.db
      .update(orders)
      .set({ status: "cancelled", updatedAt: ctx.now })
      .where(eq(orders.id, checkout.orderId)),
    audit(ctx, loaded, "order.cancelled", { reason: "payment_canceled" }),
  ]);
  await releaseHold(ctx, checkout);
  return settled;
}

/** Gives the units back at once; a hold that already lapsed or was released is fine. */
async function releaseHold(ctx: PaymentContext, checkout: CheckoutRow): Promise<void> {
  if (checkout.dropId === null || checkout.holdId === null) return;
  await ctx.inventory.release(checkout.dropId, checkout.holdId, checkout.buyerKey);
}

/**
 * Payment succeeded: secure the units (commit the hold, or re-reserve if it lapsed), then in one batch
 * mark the checkout and order paid, grant the entitlement and redeem the coupon. If the units are gone,
 * refund the payment in full and record why: money is never kept without access.
 */
async function markPaid(
  ctx: PaymentContext,
  loaded: Loaded,
  payment: Payment,
  via: "confirm" | "event",
): Promise<Settled> {
  const { checkout, order } = loaded;
  if (checkout.status === "paid" || checkout.status === "refunded") return "unchanged";
  const units = await secureUnits(ctx, loaded);
  if (units === "sold_out") return refundUnsellable(ctx, loaded, payment);
  const memberId =
    checkout.memberId ??
    (await memberForEmail(ctx.db, {
      creatorId: checkout.creatorId,
      email: checkout.email,
      source: order.source,
      now: ctx.now,
      newId: newId("member"),
    }));
  const paid = {
    status: "paid" as const,
    memberId,
    holdId: units.holdId,
    paymentSucceededAt: checkout.paymentSucceededAt ?? ctx.now,
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
    grantWrite(ctx.db, await grantFor(ctx, order, memberId)),
    audit(ctx, loaded, "order.paid", { payment_id: payment.id, via }),
  ];
  const coupon =
    order.couponCode === null ? undefined : await findCouponByCode(ctx.db, order.creatorId, order.couponCode);
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

/**
 * A paid order whose payment was refunded in full: the order and checkout end refunded and the
 * entitlement it granted is revoked (the member's token version is bumped), in one batch. Units stay
 * sold: returning refunded stock to a drop is not built yet.
 */
async function markRefunded(ctx: PaymentContext, loaded: Loaded, payment: Payment): Promise<Settled> {
  const { checkout, order } = loaded;
  if (checkout.status !== "paid" || checkout.memberId === null) return "unchanged";
  const source = {
    creatorId: order.creatorId,
    type: "order" as const,
    id: order.id,
    memberId: checkout.memberId,
  };
  return land(
    ctx.db,
    checkout.id,
    ["paid"],
    [
      ...moveWrites(ctx.db, checkout.id, ["paid"], { status: "refunded", updatedAt: ctx.now }),
      ctx.db.update(orders).set({ status: "refunded", updatedAt: ctx.now }).where(eq(orders.id, order.id)),
      ...revokeSourceWrites(ctx.db, source, "refund", ctx.now),
      audit(ctx, loaded, "order.refunded", {
        payment_id: payment.id,
        amount_refunded: payment.amountRefunded,
      }),
    ],
  );
}

/** The entitlement an order grants: the offer, lifetime, or one billing period for a membership tier. */
async function grantFor(ctx: PaymentContext, order: OrderRow, memberId: string) {
  const [offer] = await ctx.db
    .select({ kind: offers.kind, billingInterval: offers.billingInterval })
    .from(offers)
    .where(eq(offers.id, order.offerId))
    .limit(1);
  const interval = offer?.kind === "membership" ? offer.billingInterval : null;
  return {
    id: newId("entitlement"),
    creatorId: order.creatorId,
    memberId,
    offerId: order.offerId,
    benefitKey: order.offerId,
    sourceType: "order" as const,
    sourceId: order.id,
    grantedAt: ctx.now,
    expiresAt: interval ? periodEnd(ctx.now, interval) : null,
    revokedAt: null,
    revokeReason: null,
  };
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
  if (!again.ok) return "sold_out";
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
