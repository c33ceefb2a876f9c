/** Orders after checkout: the creator's refund, and the buyer's receipt. */
import { and, eq } from "drizzle-orm";
import { auditWrite } from "../audit";
import { refundTransferWrites, reversalOption } from "../connect/refunds";
import type { Call, TenantContext } from "../context";
import { expectOneChange, type Write } from "../db/client";
import { checkouts, entitlements, orders } from "../db/schema";
import { grantedBy, revokeSourceWrites } from "../entitlements/store";
import { AppError, notFound } from "../errors";
import { toIsoOrNull } from "../lib/time";
import { type Payment, ProviderError, type ProviderEvent, type Refund } from "../payments/provider";
import { refundAtTill } from "../pos/orders";
import type { PriceLine } from "../pricing/engine";
import { endAtProvider } from "../subscriptions/provider-sync";
import { chargedBack, phaseOf } from "./disputes";
import { drainEmitted } from "./events";
import type { OrderView, ReceiptView } from "./schemas";
import { type PaymentContext, restockIfPolicy } from "./settle";
import { holdsOf, loadCheckout, ownedCheckout, renderOrder } from "./store";
import { type Loaded, moveWrites } from "./transition";

type RefundInput = { creatorId: string; actor: string; orderId: string; reason: string };
/** Checkout's context: the provider, the sandbox's queued events, and the idempotent commit. */
type RefundContext = PaymentContext & { emitted: ProviderEvent[]; commit: TenantContext["commit"] };

/**
 * Refunds a paid order in full through its provider, then lands the refund: the order and checkout end
 * refunded and its entitlement revoked, in one batch with the idempotent response (so a replay of the
 * same key answers the same response). What decides is the payment as the provider reports it after
 * the call: a payment already refunded there (from the provider's dashboard, by a retry that reached
 * it, by a lost `charge.refunded`) is reconciled, not a 500. Repeating it, or the event arriving too,
 * changes nothing more.
 */
export async function refundOrder({ ctx, input }: Call<RefundInput, RefundContext>): Promise<OrderView> {
  const [row] = await ctx.db
    .select({ checkoutId: checkouts.id, paymentId: checkouts.paymentId, provider: checkouts.provider })
    .from(orders)
    .innerJoin(checkouts, eq(checkouts.orderId, orders.id))
    .where(and(eq(orders.creatorId, input.creatorId), eq(orders.id, input.orderId)))
    .limit(1);
  if (row === undefined) return refundPosOrder(ctx, input);
  const loaded = await loadCheckout(ctx.db, row.checkoutId);
  if (loaded === undefined) throw notFound("order", input.orderId);
  if (loaded.order.status === "refunded") {
    // Refunding again retries only the restock (idempotent per hold), so a restock that was missed heals.
    // Nothing changes, so nothing is stored for the key either (as every admin verb's no-op).
    await restockRefunded(ctx, loaded);
    return renderOrder(loaded.order);
  }
  if (loaded.order.status !== "paid" || row.paymentId === null) {
    throw new AppError("conflict", `Only a paid order can be refunded; this one is ${loaded.order.status}.`);
  }
  if (row.provider !== ctx.provider.name) {
    throw new AppError(
      "conflict",
      `This order was paid through ${row.provider}, which is not configured now.`,
    );
  }
  // While the bank holds the money (a chargeback open or lost) there is nothing to refund; once a
  // dispute is won the money is back and the creator may refund it like any payment.
  const disputed = loaded.order.disputeStatus;
  if (disputed !== null && chargedBack(phaseOf(disputed)) && phaseOf(disputed) !== "won") {
    throw new AppError(
      "conflict",
      `This order's payment was disputed by the buyer's bank (dispute ${loaded.order.disputeId}, ${disputed}): ` +
        "the money was already taken back, so it cannot be refunded as well.",
    );
  }
  const { payment, refund } = await refundAtProvider(ctx, row.paymentId, {
    ...input,
    destination: loaded.order.destinationAccount,
  });
  if (payment.amountRefunded < payment.amount) {
    // Accepted but not final (a refund some methods settle later): the `charge.refunded` event lands it.
    return renderOrder(loaded.order);
  }
  const view = renderOrder({ ...loaded.order, status: "refunded", updatedAt: ctx.now });
  try {
    await ctx.commit(
      [...refundWrites(ctx, loaded, payment, input), ...reversalWrites(ctx, loaded, payment, refund, input)],
      view,
    );
  } catch (error) {
    // The provider's event (or a racing refund call) landed the refund first: that one stands.
    // Or ours landed and only its answer was lost. Either way, its restock runs here.
    const now = await loadCheckout(ctx.db, row.checkoutId);
    if (now?.order.status !== "refunded" || now.checkout.status !== "refunded") throw error;
    await restockRefunded(ctx, now);
    await drainEmitted(ctx);
    return answer(ctx, renderOrder(now.order));
  }
  await restockRefunded(ctx, loaded);
  await drainEmitted(ctx);
  return view;
}

/**
 * The drop's restock policy for a refunded order, and the end of its subscription at the provider. The drop's object restocks a hold once (and only a
 * hold committed to this order), so this runs on every path that sees the order refunded rather than
 * only on the one that landed it: a batch whose answer was lost must not leave the units sold.
 */
const restockRefunded = async (ctx: RefundContext, { checkout, order }: Loaded) => {
  await Promise.all([
    restockIfPolicy(ctx, { ...checkout, orderId: order.id, holds: holdsOf(checkout, order.quantity) }),
    // A membership's provider (Stripe Billing) stops billing the subscription the order started.
    endAtProvider(ctx, order.id),
  ]);
};

/** The answer of a refund that landed in another batch, stored for the request's Idempotency-Key. */
async function answer(ctx: RefundContext, view: OrderView): Promise<OrderView> {
  await ctx.commit([], view);
  return view;
}

/** An order with no checkout was sold at a pop-up: the till paid the refund, and it is recorded here. */
async function refundPosOrder(ctx: RefundContext, input: RefundInput): Promise<OrderView> {
  const [pos] = await ctx.db
    .select()
    .from(orders)
    .where(and(eq(orders.creatorId, input.creatorId), eq(orders.id, input.orderId)))
    .limit(1);
  if (pos === undefined) throw notFound("order", input.orderId);
  if (pos.source !== "pos")
    throw new AppError("conflict", "This order was not paid through a payment provider.");
  const view = await refundAtTill(
    { ...ctx, creatorId: input.creatorId, actor: input.actor },
    pos,
    input.reason,
  );
  // The till's refund lands in its own batch (src/pos/orders.ts); repeating it is harmless, so the
  // response of the call that refunded is stored right after it.
  return pos.status === "refunded" ? view : answer(ctx, view);
}

/**
 * Asks the provider to refund, then reads the payment back. A refusal (already refunded, the same
 * provider key reused with other parameters by a retry) is not an answer in itself: the payment is.
 * Only a refusal that left the payment unrefunded is the creator's conflict (409).
 */
async function refundAtProvider(
  ctx: RefundContext,
  paymentId: string,
  input: { orderId: string; reason: string; destination: string | null },
): Promise<{ payment: Payment; refund: Refund | null }> {
  let refused: ProviderError | null = null;
  let refund: Refund | null = null;
  try {
    refund = await ctx.provider.refund(paymentId, {
      idempotencyKey: `refund:${input.orderId}`,
      reason: input.reason,
      metadata: { order_id: input.orderId },
      // A destination charge: the creator's share comes back from its account, the fee in proportion.
      ...reversalOption(input.destination),
    });
  } catch (error) {
    if (!(error instanceof ProviderError) || error.retryable) throw unavailable(error);
    refused = error;
  }
  const payment = await ctx.provider.retrieve(paymentId).catch((error: unknown) => {
    throw unavailable(error);
  });
  if (refused !== null && payment.amountRefunded < payment.amount) {
    throw new AppError(
      "conflict",
      `The payment provider refused the refund (${refused.code ?? refused.kind}): ${refused.message}`,
    );
  }
  return { payment, refund };
}

/**
 * A destination charge's refund, as connect_transfers records it (src/connect/refunds.ts). Only a
 * refund this call made is recorded: one refunded elsewhere (the provider's dashboard) is not known
 * to have reversed anything.
 */
function reversalWrites(
  ctx: RefundContext,
  { order }: Loaded,
  payment: Payment,
  refund: Refund | null,
  input: { actor: string },
): Write[] {
  if (order.destinationAccount === null || refund === null) return [];
  return refundTransferWrites(
    { db: ctx.db, actor: input.actor, now: ctx.now },
    {
      creatorId: order.creatorId,
      orderId: order.id,
      payment,
      account: order.destinationAccount,
      fee: order.platformFeeAmount ?? 0,
      refundedBefore: 0,
      amount: refund.amount,
      refund,
    },
    { type: "order", id: order.id },
  );
}

const unavailable = (error: unknown) =>
  error instanceof ProviderError && error.retryable
    ? new AppError("payment_unavailable", "The payment provider did not answer; retry the refund.", {
        headers: { "retry-after": "2" },
      })
    : error;

/** The refund's batch: checkout and order refunded, the entitlement revoked, the creator's audit row. */
function refundWrites(
  ctx: RefundContext,
  { checkout, order }: Loaded,
  payment: Payment,
  input: { creatorId: string; actor: string; reason: string },
): Write[] {
  const memberId = checkout.memberId ?? order.memberId;
  return [
    ...moveWrites(ctx.db, checkout.id, ["paid"], { status: "refunded", updatedAt: ctx.now }),
    ctx.db
      .update(orders)
      .set({ status: "refunded", updatedAt: ctx.now })
      .where(and(eq(orders.id, order.id), eq(orders.status, "paid"))),
    expectOneChange(ctx.db),
    ...(memberId === null
      ? []
      : revokeSourceWrites(
          ctx.db,
          { creatorId: order.creatorId, type: "order", id: order.id, memberId },
          "refund",
          ctx.now,
        )),
    auditWrite(
      { db: ctx.db, creatorId: order.creatorId, actor: input.actor, now: ctx.now },
      "order.refunded",
      { type: "order", id: order.id },
      { payment_id: payment.id, amount_refunded: payment.amountRefunded, reason: input.reason, via: "api" },
    ),
  ];
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
    .where(and(eq(entitlements.creatorId, loaded.order.creatorId), grantedBy("order", [loaded.order.id])));
  const { payout: _split, ...order } = renderOrder(loaded.order);
  return {
    ...order,
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
