/** Orders after checkout: the creator's refund, and the buyer's receipt. */
import { and, eq } from "drizzle-orm";
import type { Call } from "../context";
import { checkouts, entitlements, orders } from "../db/schema";
import { AppError, notFound } from "../errors";
import { toIsoOrNull } from "../lib/time";
import { ProviderError, type ProviderEvent } from "../payments/provider";
import { refundAtTill } from "../pos/orders";
import type { PriceLine } from "../pricing/engine";
import { drainEmitted } from "./events";
import type { OrderView, ReceiptView } from "./schemas";
import { type PaymentContext, settlePayment } from "./settle";
import { loadCheckout, ownedCheckout, renderOrder } from "./store";

/**
 * Refunds a paid order in full through its provider, then settles the refunded payment exactly as a
 * `charge.refunded` event would: the order ends refunded and its entitlement revoked. Repeating it
 * (or the event arriving too) changes nothing more.
 */
export async function refundOrder({
  ctx,
  input,
}: Call<
  { creatorId: string; actor: string; orderId: string; reason: string },
  PaymentContext & { emitted: ProviderEvent[] }
>): Promise<OrderView> {
  const [row] = await ctx.db
    .select({ checkoutId: checkouts.id, paymentId: checkouts.paymentId, provider: checkouts.provider })
    .from(orders)
    .innerJoin(checkouts, eq(checkouts.orderId, orders.id))
    .where(and(eq(orders.creatorId, input.creatorId), eq(orders.id, input.orderId)))
    .limit(1);
  if (row === undefined) {
    // An order with no checkout was sold at a pop-up: the till paid the refund, and it is recorded here.
    const [pos] = await ctx.db
      .select()
      .from(orders)
      .where(and(eq(orders.creatorId, input.creatorId), eq(orders.id, input.orderId)))
      .limit(1);
    if (pos === undefined) throw notFound("order", input.orderId);
    if (pos.source !== "pos")
      throw new AppError("conflict", "This order was not paid through a payment provider.");
    return refundAtTill({ ...ctx, creatorId: input.creatorId, actor: input.actor }, pos, input.reason);
  }
  const loaded = await loadCheckout(ctx.db, row.checkoutId);
  if (loaded === undefined) throw notFound("order", input.orderId);
  if (loaded.order.status === "refunded") return renderOrder(loaded.order);
  if (loaded.order.status !== "paid" || row.paymentId === null) {
    throw new AppError("conflict", `Only a paid order can be refunded; this one is ${loaded.order.status}.`);
  }
  if (row.provider !== ctx.provider.name) {
    throw new AppError(
      "conflict",
      `This order was paid through ${row.provider}, which is not configured now.`,
    );
  }
  try {
    await ctx.provider.refund(row.paymentId, {
      idempotencyKey: `refund:${input.orderId}`,
      reason: input.reason,
      metadata: { order_id: input.orderId },
    });
    await settlePayment(ctx, await ctx.provider.retrieve(row.paymentId), "confirm");
    await drainEmitted(ctx);
  } catch (error) {
    if (error instanceof ProviderError && error.retryable) {
      throw new AppError("payment_unavailable", "The payment provider did not answer; retry the refund.", {
        headers: { "retry-after": "2" },
      });
    }
    throw error;
  }
  const after = await loadCheckout(ctx.db, row.checkoutId);
  if (after === undefined) throw notFound("order", input.orderId);
  return renderOrder(after.order);
}

/**
 * The buyer's receipt, for the holder of the checkout's secret (it names its checkout): what they
 * paid, how it was priced, the payment reference and what it granted.
 */
export async function receipt({
  ctx,
  input,
}: Call<{ orderId: string; secret: string }, PaymentContext>): Promise<ReceiptView> {
  const checkoutId = input.secret.split("_secret_")[0] ?? "";
  const loaded = await ownedCheckout(ctx.db, checkoutId, input.secret).catch(() => undefined);
  if (loaded === undefined || loaded.order.id !== input.orderId) throw notFound("order", input.orderId);
  const granted = await ctx.db
    .select()
    .from(entitlements)
    .where(
      and(
        eq(entitlements.creatorId, loaded.order.creatorId),
        eq(entitlements.sourceType, "order"),
        eq(entitlements.sourceId, loaded.order.id),
      ),
    );
  return {
    ...renderOrder(loaded.order),
    object: "receipt",
    lines: JSON.parse(loaded.checkout.lines) as PriceLine[],
    entitlements: granted.map((e) => ({
      id: e.id,
      benefit_key: e.benefitKey,
      expires_at: toIsoOrNull(e.expiresAt),
      revoked_at: toIsoOrNull(e.revokedAt),
    })),
  };
}
