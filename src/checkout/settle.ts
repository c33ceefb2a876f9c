/**
 * The completion path. Both sides call it with the payment as the provider reports it: the buyer's
 * confirm and every provider event (Stripe webhooks, sandbox events). Each transition is one guarded D1
 * batch that lands only if the checkout is still in a state it may leave, so whichever side arrives
 * first changes things and the other changes nothing. The drop's object is asked first (commit is
 * idempotent per order), so no order is ever marked paid without its units.
 */
import { eq, inArray } from "drizzle-orm";
import { runBatch } from "../db/client";
import { drops, orders } from "../db/schema";
import { revokeSourceWrites } from "../entitlements/store";
import type { Payment } from "../payments/provider";
import { endAtProvider } from "../subscriptions/provider-sync";
import { extendAll, releaseCheckout } from "./holds";
import { FROM, mismatchOf, type OrderFacts, type PaymentFacts, plan, type Transition } from "./machine";
import { markPaid } from "./paid";
import { holdsOf, loadCheckout } from "./store";
import {
  audit,
  type Loaded,
  land,
  moveWrites,
  type PaymentContext,
  refundInFull,
  type Settled,
} from "./transition";

export type { PaymentContext, Settled } from "./transition";

/**
 * Applies what the provider says about a payment to its checkout, exactly once per transition: the
 * transitions are the state machine's plan (machine.ts), each landing as one guarded batch.
 */
export async function settlePayment(
  ctx: PaymentContext,
  payment: Payment,
  via: "confirm" | "event",
): Promise<Settled> {
  const checkoutId = payment.metadata.checkout_id;
  let loaded = checkoutId === undefined ? undefined : await loadCheckout(ctx.db, checkoutId);
  if (loaded === undefined || loaded.checkout.provider !== ctx.provider.name) return "unknown_payment";
  let settled: Settled = "unchanged";
  let ran = false;
  for (const step of plan(orderFacts(loaded), paymentFacts(payment))) {
    // A later step reads what the earlier one landed (pay, then refund).
    if (ran) loaded = await loadCheckout(ctx.db, loaded.checkout.id);
    if (loaded === undefined) break;
    if ((await run(ctx, step, loaded, payment, via)) === "changed") settled = "changed";
    ran = true;
  }
  return settled;
}

function run(
  ctx: PaymentContext,
  step: Transition,
  loaded: Loaded,
  payment: Payment,
  via: "confirm" | "event",
): Promise<Settled> {
  switch (step) {
    case "refuse_mismatch":
      return refuseMismatch(ctx, loaded, payment, mismatchOf(orderFacts(loaded), paymentFacts(payment)));
    case "pay":
      return markPaid(ctx, loaded, payment, via);
    case "refund":
      return markRefunded(ctx, loaded, payment);
    case "require_action":
      return markRequiresAction(ctx, loaded, payment);
    case "fail":
      return markFailed(ctx, loaded, payment);
    case "expire":
      return markExpired(ctx, loaded);
  }
}

export const orderFacts = ({ checkout, order }: Loaded): OrderFacts => ({
  status: checkout.status,
  orderId: order.id,
  amount: order.amountTotal,
  currency: order.currency,
  paymentId: order.providerPaymentId ?? checkout.paymentId,
});

export const paymentFacts = (payment: Payment): PaymentFacts => ({
  id: payment.id,
  status: payment.status,
  amount: payment.amount,
  currency: payment.currency,
  amountRefunded: payment.amountRefunded,
  orderId: payment.metadata.order_id,
  failed: payment.lastError !== null,
});

/**
 * A payment that names this checkout but is not its order's: it never completes anything. If it took
 * money, that money goes back in full, and the creator sees why in the audit log; the order is left as
 * it was, to complete with its own payment or lapse.
 */
async function refuseMismatch(
  ctx: PaymentContext,
  loaded: Loaded,
  payment: Payment,
  mismatch: string | null,
): Promise<Settled> {
  if (payment.status !== "succeeded") return "unchanged";
  const refunded = await refundInFull(ctx, payment, {
    idempotencyKey: `mismatch-refund:${payment.id}`,
    metadata: { order_id: loaded.order.id, reason: `payment_mismatch_${mismatch}` },
  });
  if (refunded === "nothing_to_refund") return "unchanged";
  await runBatch(ctx.db, [
    audit(ctx, loaded, "payment.mismatch_refunded", {
      payment_id: payment.id,
      charged_back: refunded === "charged_back",
      mismatch,
      amount: payment.amount,
      currency: payment.currency,
    }),
  ]);
  return "unchanged";
}

async function markRequiresAction(ctx: PaymentContext, loaded: Loaded, payment: Payment): Promise<Settled> {
  const { checkout } = loaded;
  let holdExpiresAt = checkout.holdExpiresAt;
  let holdExtended = checkout.holdExtended;
  // The buyer is authenticating: keep their units a little longer, once.
  if (!checkout.holdExtended) {
    const extended = await extendAll(ctx, checkout, loaded.order.quantity);
    if (extended !== null) {
      holdExpiresAt = extended;
      holdExtended = true;
    }
  }
  return land(ctx.db, checkout.id, FROM.require_action, [
    ...moveWrites(ctx.db, checkout.id, FROM.require_action, {
      status: "requires_action",
      nextAction: JSON.stringify(payment.nextAction),
      holdExpiresAt,
      holdExtended,
      paymentId: checkout.paymentId ?? payment.id,
      updatedAt: ctx.now,
    }),
    audit(ctx, loaded, "checkout.requires_action", { payment_id: payment.id }),
  ]);
}

async function markFailed(ctx: PaymentContext, loaded: Loaded, payment: Payment): Promise<Settled> {
  const { checkout } = loaded;
  const failure = payment.lastError;
  const settled = await land(ctx.db, checkout.id, FROM.fail, [
    ...moveWrites(ctx.db, checkout.id, FROM.fail, {
      status: "failed",
      failureCode: failure?.code ?? "payment_failed",
      declineCode: failure?.declineCode ?? null,
      failureMessage: failure?.message ?? null,
      paymentId: checkout.paymentId ?? payment.id,
      updatedAt: ctx.now,
    }),
    ctx.db
      .update(orders)
      .set({ status: "failed", updatedAt: ctx.now })
      .where(eq(orders.id, checkout.orderId)),
    audit(ctx, loaded, "order.failed", { code: failure?.code, decline_code: failure?.declineCode }),
  ]);
  // Also when the other side landed it first (it may have died before releasing); a sold hold refuses.
  await releaseCheckout(ctx, checkout, loaded.order.quantity);
  return settled;
}

/** The payment was cancelled (an abandoned checkout swept after its hold lapsed). */
async function markExpired(ctx: PaymentContext, loaded: Loaded): Promise<Settled> {
  const { checkout } = loaded;
  const settled = await land(ctx.db, checkout.id, FROM.expire, [
    ...moveWrites(ctx.db, checkout.id, FROM.expire, { status: "expired", updatedAt: ctx.now }),
    ctx.db
      .update(orders)
      .set({ status: "cancelled", updatedAt: ctx.now })
      .where(eq(orders.id, checkout.orderId)),
    audit(ctx, loaded, "order.cancelled", { reason: "payment_canceled" }),
  ]);
  // Also when the other side landed it first (it may have died before releasing); a sold hold refuses.
  await releaseCheckout(ctx, checkout, loaded.order.quantity);
  return settled;
}

/**
 * Puts a refunded order's units back on sale, per drop, where the drop says so; otherwise they stay
 * sold. `holds` is every hold the order sold (a bundle's one per component drop); a bare `dropId` and
 * `holdId` describe a single one.
 */
export async function restockIfPolicy(
  ctx: Pick<PaymentContext, "db" | "inventory">,
  sold: {
    dropId: string | null;
    holdId: string | null;
    orderId: string;
    holds?: { dropId: string; holdId: string }[];
  },
): Promise<void> {
  const holds =
    sold.holds ??
    (sold.dropId === null || sold.holdId === null ? [] : [{ dropId: sold.dropId, holdId: sold.holdId }]);
  if (holds.length === 0) return;
  const policies = await ctx.db
    .select({ id: drops.id, restockOnRefund: drops.restockOnRefund })
    .from(drops)
    .where(inArray(drops.id, [...new Set(holds.map((h) => h.dropId))]));
  const restocking = new Set(policies.filter((d) => d.restockOnRefund).map((d) => d.id));
  await Promise.all(
    holds
      .filter((h) => restocking.has(h.dropId))
      .map((h) => ctx.inventory.restock(h.dropId, h.holdId, sold.orderId)),
  );
}

/**
 * A paid order whose payment was refunded in full: the order and checkout end refunded and the
 * entitlement it granted is revoked (the member's token version is bumped), in one batch. Then the
 * units go back on sale if the drop's policy says so (`restock_on_refund`); otherwise they stay sold.
 */
async function markRefunded(ctx: PaymentContext, loaded: Loaded, payment: Payment): Promise<Settled> {
  const { checkout, order } = loaded;
  const restock = () =>
    Promise.all([
      restockIfPolicy(ctx, { ...checkout, holds: holdsOf(checkout, order.quantity) }),
      // A membership's provider (Stripe Billing) stops billing the subscription the order started.
      endAtProvider(ctx, order.id),
    ]);
  // Whoever sees the order refunded applies the drop's restock policy: the object restocks a hold once,
  // so a batch that landed but whose answer was lost still restocks on the next delivery.
  if (checkout.status === "refunded") await restock();
  if (!FROM.refund.includes(checkout.status) || checkout.memberId === null) return "unchanged";
  const source = {
    creatorId: order.creatorId,
    type: "order" as const,
    id: order.id,
    memberId: checkout.memberId,
  };
  const settled = await land(ctx.db, checkout.id, FROM.refund, [
    ...moveWrites(ctx.db, checkout.id, FROM.refund, { status: "refunded", updatedAt: ctx.now }),
    ctx.db.update(orders).set({ status: "refunded", updatedAt: ctx.now }).where(eq(orders.id, order.id)),
    ...revokeSourceWrites(ctx.db, source, "refund", ctx.now),
    audit(ctx, loaded, "order.refunded", {
      payment_id: payment.id,
      amount_refunded: payment.amountRefunded,
    }),
  ]);
  await restock();
  return settled;
}
