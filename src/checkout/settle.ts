/**
 * The completion path. Both sides call it with the payment as the provider reports it: the buyer's
 * confirm and every provider event (Stripe webhooks, sandbox events). Each transition is one guarded D1
 * batch that lands only if the checkout is still in a state it may leave, so whichever side arrives
 * first changes things and the other changes nothing. The drop's object is asked first (commit is
 * idempotent per order), so no order is ever marked paid without its units.
 */
import { eq } from "drizzle-orm";
import { type CheckoutRow, drops, orders } from "../db/schema";
import { revokeSourceWrites } from "../entitlements/store";
import type { Payment } from "../payments/provider";
import { markPaid } from "./paid";
import { loadCheckout } from "./store";
import { audit, type Loaded, land, moveWrites, OPEN, type PaymentContext, type Settled } from "./transition";

export type { PaymentContext, Settled } from "./transition";

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

/** Puts a refunded order's units back on sale when its drop says so; otherwise they stay sold. */
export async function restockIfPolicy(
  ctx: Pick<PaymentContext, "db" | "inventory">,
  sold: { dropId: string | null; holdId: string | null; orderId: string },
): Promise<void> {
  if (sold.dropId === null || sold.holdId === null) return;
  const [drop] = await ctx.db
    .select({ restockOnRefund: drops.restockOnRefund })
    .from(drops)
    .where(eq(drops.id, sold.dropId))
    .limit(1);
  if (drop?.restockOnRefund) await ctx.inventory.restock(sold.dropId, sold.holdId, sold.orderId);
}

/** Gives the units back at once; a hold that already lapsed or was released is fine. */
async function releaseHold(ctx: PaymentContext, checkout: CheckoutRow): Promise<void> {
  if (checkout.dropId === null || checkout.holdId === null) return;
  await ctx.inventory.release(checkout.dropId, checkout.holdId, checkout.buyerKey);
}

/**
 * A paid order whose payment was refunded in full: the order and checkout end refunded and the
 * entitlement it granted is revoked (the member's token version is bumped), in one batch. Then the
 * units go back on sale if the drop's policy says so (`restock_on_refund`); otherwise they stay sold.
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
  const settled = await land(
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
  // The side that landed the refund (exactly one) applies the drop's restock policy.
  if (settled === "changed") await restockIfPolicy(ctx, checkout);
  return settled;
}
