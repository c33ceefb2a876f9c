/**
 * The cron's side of checkout. Abandoned checkouts: once a hold has lapsed unpaid, its payment is
 * cancelled, so a buyer cannot pay later for units that went back on sale without the late-payment
 * path noticing. A payment that succeeded meanwhile completes instead (or is refunded if sold out).
 * And events whose handling did not finish are tried again.
 */
import { and, asc, eq, inArray, isNotNull, lte } from "drizzle-orm";
import { checkouts, orders } from "../db/schema";
import type { ProviderEvent } from "../payments/provider";
import { drainEmitted, retryDeferredEvents } from "./events";
import { type PaymentContext, settlePayment } from "./settle";
import { loadCheckout } from "./store";
import { audit, land, moveWrites, OPEN } from "./transition";

export async function sweepCheckouts(
  ctx: PaymentContext & { emitted: ProviderEvent[] },
  limit = 50,
): Promise<{ abandoned: number; retried: number }> {
  const lapsed = await ctx.db
    .select({ id: checkouts.id, paymentId: checkouts.paymentId })
    .from(checkouts)
    .where(
      and(
        inArray(checkouts.status, ["pending", "requires_action"]),
        isNotNull(checkouts.holdExpiresAt),
        lte(checkouts.holdExpiresAt, ctx.now),
      ),
    )
    .orderBy(asc(checkouts.holdExpiresAt))
    .limit(limit);
  for (const { id, paymentId } of lapsed) {
    try {
      // The request that opened it died before creating a payment, and was never retried.
      if (paymentId === null) {
        await expireUnpaid(ctx, id);
        continue;
      }
      const payment = await ctx.provider
        .cancel(paymentId, { idempotencyKey: `abandon:${id}` })
        // Cancelling a payment that succeeded meanwhile is refused: read it, and let it complete.
        .catch(async () => ctx.provider.retrieve(paymentId));
      await settlePayment(ctx, payment, "event");
    } catch (error) {
      // One provider hiccup must not stop the sweep; this checkout is tried again next minute.
      console.error(JSON.stringify({ sweep: id, error: String(error) }));
    }
  }
  await drainEmitted(ctx);
  return { abandoned: lapsed.length, retried: await retryDeferredEvents(ctx) };
}

/** An opened checkout that never got a payment: it ends expired (its hold has lapsed by now). */
async function expireUnpaid(ctx: PaymentContext, checkoutId: string): Promise<void> {
  const loaded = await loadCheckout(ctx.db, checkoutId);
  if (loaded === undefined) return;
  await land(ctx.db, checkoutId, OPEN, [
    ...moveWrites(ctx.db, checkoutId, OPEN, { status: "expired", updatedAt: ctx.now }),
    ctx.db
      .update(orders)
      .set({ status: "cancelled", updatedAt: ctx.now })
      .where(eq(orders.id, loaded.order.id)),
    audit(ctx, loaded, "order.cancelled", { reason: "never_paid" }),
  ]);
}
