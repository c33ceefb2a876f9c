/** What every checkout transition shares: its context, the guarded move, and how a batch lands. */
import { and, eq, inArray } from "drizzle-orm";
import { auditWrite } from "../audit";
import type { PayoutsMode } from "../connect/payouts";
import { refundTransferWrites, reversalOption } from "../connect/refunds";
import { transfersOf } from "../connect/store";
import { type Db, expectOneChange, runBatch, type Write } from "../db/client";
import { type CheckoutRow, checkouts, type OrderRow } from "../db/schema";
import { AppError } from "../errors";
import type { InventoryGateway } from "../inventory/gateway";
import { type Payment, type PaymentProvider, ProviderError, type Refund } from "../payments/provider";
import type { Status } from "./machine";
import { loadCheckout } from "./store";

export interface PaymentContext {
  db: Db;
  inventory: InventoryGateway;
  provider: PaymentProvider;
  now: number;
  /** PAYOUTS_MODE (docs/payouts.md); `platform` when absent. */
  payoutsMode?: PayoutsMode;
}

export type Loaded = { checkout: CheckoutRow; order: OrderRow };
export type { Status } from "./machine";
export { OPEN, UNPAID } from "./machine";
export type Settled = "changed" | "unchanged" | "unknown_payment";

/** The checkout row moves from one of `from` to `changes`, or the batch lands nothing. */
export const moveWrites = (
  db: Db,
  id: string,
  from: readonly Status[],
  changes: Partial<CheckoutRow>,
): Write[] => [
  db
    .update(checkouts)
    .set(changes)
    .where(and(eq(checkouts.id, id), inArray(checkouts.status, [...from]))),
  expectOneChange(db),
];

/**
 * Runs a transition's batch. A refused batch whose checkout has meanwhile left `from` means the other
 * side got there first: nothing to do. Any other failure is real and is thrown.
 */
export async function land(
  db: Db,
  checkoutId: string,
  from: readonly Status[],
  writes: Write[],
): Promise<Settled> {
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

export const audit = (ctx: PaymentContext, { checkout }: Loaded, action: string, data: unknown) =>
  auditWrite(
    { db: ctx.db, creatorId: checkout.creatorId, actor: `provider:${ctx.provider.name}`, now: ctx.now },
    action,
    { type: "order", id: checkout.orderId },
    data,
  );

/**
 * Gives a payment's money back in full, once (the key is the caller's). A payment already charged back
 * cannot be refunded (Stripe answers `charge_disputed`): the bank has returned the money already, so
 * that counts as done rather than as a failure that would keep an event deferred for ever.
 */
export async function refundInFull(
  ctx: PaymentContext,
  payment: Payment,
  p: { idempotencyKey: string; metadata: Record<string, string> },
): Promise<"refunded" | "charged_back" | "nothing_to_refund"> {
  if (payment.amountRefunded >= payment.amount) return "nothing_to_refund";
  try {
    const refund = await ctx.provider.refund(payment.id, {
      ...p,
      reason: "requested_by_customer",
      ...reversalOption(payment.destination?.account),
    });
    // Recorded in a batch of its own: the callers' batches land the checkout's move, which may find
    // the other side got there first; the creator's share moved either way.
    await recordRefundedShare(ctx, payment, refund);
    return "refunded";
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    if (error.code === "charge_disputed") return "charged_back";
    // Nothing landed; the refund is owed still. A route answers 503 (retry), an event stays deferred.
    throw new AppError(
      "payment_unavailable",
      "The payment provider did not take the refund; retry shortly.",
      {
        headers: { "retry-after": "2" },
      },
    );
  }
}

/**
 * Records a full refund's reversal of a destination charge once: a retried refund (the same key gets
 * the same refund back) finds it recorded and writes no second audit row.
 */
async function recordRefundedShare(ctx: PaymentContext, payment: Payment, refund: Refund): Promise<void> {
  const [record, ...rest] = refundedShareWrites(ctx, payment, refund);
  if (record === undefined) return;
  try {
    await runBatch(ctx.db, [record, expectOneChange(ctx.db), ...rest]);
  } catch (error) {
    const recorded = await transfersOf(ctx.db, payment.id);
    if (!recorded.some((t) => t.reason === "refund" && t.sourceId === refund.id)) throw error;
  }
}

/** A full refund of a destination charge, recorded against the creator's account (none otherwise). */
function refundedShareWrites(ctx: PaymentContext, payment: Payment, refund: Refund): Write[] {
  const creatorId = payment.metadata.creator_id;
  if (payment.destination == null || creatorId === undefined) return [];
  return refundTransferWrites(
    { db: ctx.db, actor: `provider:${ctx.provider.name}`, now: ctx.now },
    {
      creatorId,
      orderId: payment.metadata.order_id ?? null,
      payment,
      account: payment.destination.account,
      fee: payment.destination.applicationFeeAmount,
      refundedBefore: payment.amountRefunded,
      amount: refund.amount,
      refund,
    },
    { type: "order", id: payment.metadata.order_id ?? payment.id },
  );
}
