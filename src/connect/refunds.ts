/**
 * A refund of a destination charge (docs/payouts.md): the platform refunds the buyer, takes the
 * refunded share back from the creator's account (Stripe's `reverse_transfer`) and returns its fee in
 * proportion (`refund_application_fee`). Each is recorded in `connect_transfers`, once per refund, in
 * the batch that lands the refund itself, with an audit row.
 */
import { auditWrite } from "../audit";
import type { Db, Write } from "../db/client";
import type { Payment, Refund } from "../payments/provider";
import { refundSplit } from "./payouts";
import { transferWrite } from "./store";

/** What a refund call adds for a destination charge: take the creator's share back with it. */
export const reversalOption = (destination: string | null | undefined): { reverseTransfer?: true } =>
  destination === null || destination === undefined ? {} : { reverseTransfer: true };

export interface RefundedCharge {
  creatorId: string;
  orderId: string | null;
  /** The payment as charged: its id, amount, currency. */
  payment: Pick<Payment, "id" | "amount" | "currency">;
  /** The connected account and the fee kept (the order's, or the payment's `destination`). */
  account: string;
  fee: number;
  /** Minor units refunded before this refund, and by it. */
  refundedBefore: number;
  amount: number;
  refund: Pick<Refund, "id" | "transferReversal" | "feeRefunded">;
}

/**
 * The record of a refund's reversal and fee refund. The provider's own figures win (Stripe computes
 * them); the pure split stands in where it reports none, and is what the sandbox reports anyway.
 */
export function refundTransferWrites(
  ctx: { db: Db; actor: string; now: number },
  r: RefundedCharge,
  subject: { type: string; id: string },
): Write[] {
  const split = refundSplit({ amount: r.payment.amount, fee: r.fee }, r.refundedBefore, r.amount);
  const amount = r.refund.transferReversal?.amount ?? split.reversal;
  const feeRefunded = r.refund.feeRefunded ?? split.feeRefunded;
  return [
    transferWrite(
      ctx.db,
      {
        creatorId: r.creatorId,
        orderId: r.orderId,
        paymentId: r.payment.id,
        accountId: r.account,
        kind: "reversal",
        reason: "refund",
        sourceId: r.refund.id,
        amount,
        feeRefunded,
        currency: r.payment.currency,
        providerId: r.refund.transferReversal?.id ?? null,
      },
      ctx.now,
    ),
    auditWrite(
      { db: ctx.db, creatorId: r.creatorId, actor: ctx.actor, now: ctx.now },
      "connect.transfer_reversed",
      subject,
      {
        reason: "refund",
        refund_id: r.refund.id,
        payment_id: r.payment.id,
        account_id: r.account,
        amount,
        fee_refunded: feeRefunded,
        currency: r.payment.currency,
      },
    ),
  ];
}

/** The destination of a payment as the provider reports it: its account and fee, or null. */
export const destinationOfPayment = (payment: Payment): { account: string; fee: number } | null =>
  payment.destination == null
    ? null
    : { account: payment.destination.account, fee: payment.destination.applicationFeeAmount };

/**
 * A refund of `paid` (a payment as the provider reports it, before the refund): the reversal's record
 * when it was a destination charge, nothing otherwise. For callers that learn the destination from the
 * payment itself (subscription refunds), not from an order row.
 */
export function paymentRefundWrites(
  ctx: { db: Db; actor: string; now: number },
  p: { creatorId: string; orderId: string | null; paid: Payment; refund: Refund },
  subject: { type: string; id: string },
): Write[] {
  const destination = destinationOfPayment(p.paid);
  if (destination === null) return [];
  return refundTransferWrites(
    ctx,
    {
      creatorId: p.creatorId,
      orderId: p.orderId,
      payment: p.paid,
      account: destination.account,
      fee: destination.fee,
      refundedBefore: p.paid.amountRefunded,
      amount: p.refund.amount,
      refund: p.refund,
    },
    subject,
  );
}
