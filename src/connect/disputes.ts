/**
 * A dispute on a destination charge (docs/payouts.md). The bank takes the disputed amount from the
 * platform's balance, which paid the creator's share out already: the platform takes that share back
 * from the creator's account when the money is withdrawn (a chargeback, or a dispute lost) and sends
 * it again if the dispute is won. The platform's fee on the disputed amount and the bank's dispute fee
 * stay with the platform. An inquiry (`warning_…`) withdraws nothing and moves nothing.
 *
 * It works from the provider's current disputes (as src/checkout/disputes.ts does) and from what
 * connect_transfers already holds, so any order of events, and any number of repeats, ends the same:
 * one reversal per dispute charged back, and one transfer back per such dispute won. A dispute first
 * seen already won never took the creator's share, so it moves nothing either way.
 */
import { auditWrite } from "../audit";
import { phaseOf } from "../checkout/disputes";
import type { Loaded, PaymentContext } from "../checkout/transition";
import { expectOneChange, runBatch } from "../db/client";
import type { Dispute, Payment } from "../payments/provider";
import { disputeShare } from "./payouts";
import { type TransferRecord, type TransferRow, transfersOf, transferWrite } from "./store";

type Movement = { dispute: Dispute; kind: "reversal" | "transfer"; amount: number };

/** Pure: what is left to move for these disputes, given what was recorded. */
export function disputeMovements(
  charged: { amount: number; fee: number },
  disputes: Dispute[],
  recorded: Pick<TransferRow, "kind" | "reason" | "sourceId" | "amount">[],
): Movement[] {
  const moves: Movement[] = [];
  for (const dispute of disputes) {
    const phase = phaseOf(dispute.status);
    const reversed = recorded.find(
      (t) => t.kind === "reversal" && t.reason === "dispute" && t.sourceId === dispute.id,
    );
    const sentBack = recorded.some(
      (t) => t.kind === "transfer" && t.reason === "dispute_won" && t.sourceId === dispute.id,
    );
    if ((phase === "chargeback" || phase === "lost") && reversed === undefined) {
      const amount = disputeShare(charged, dispute.amount);
      if (amount > 0) moves.push({ dispute, kind: "reversal", amount });
    }
    if (phase === "won" && reversed !== undefined && !sentBack && reversed.amount > 0) {
      moves.push({ dispute, kind: "transfer", amount: reversed.amount });
    }
  }
  return moves;
}

/** Moves the creator's share of each dispute on a destination charge that needs it, once each. */
export async function settleDisputeShares(
  ctx: PaymentContext,
  { order }: Loaded,
  payment: Payment,
  disputes: Dispute[],
): Promise<void> {
  const account = order.destinationAccount;
  const connect = ctx.provider.connect;
  if (account === null || connect === undefined) return;
  if (!disputes.some((d) => ["chargeback", "lost", "won"].includes(phaseOf(d.status)))) return;
  const charged = {
    amount: payment.amount,
    fee: payment.destination?.applicationFeeAmount ?? order.platformFeeAmount ?? 0,
  };
  const moves = disputeMovements(charged, disputes, await transfersOf(ctx.db, payment.id));
  for (const move of moves) {
    const metadata = { dispute_id: move.dispute.id, order_id: order.id, creator_id: order.creatorId };
    // Keyed by the dispute: a retry after a lost answer gets the same movement back, never a second.
    const providerId =
      move.kind === "reversal"
        ? (
            await connect.reverseTransfer({
              paymentId: payment.id,
              amount: move.amount,
              idempotencyKey: `dispute-reversal:${move.dispute.id}`,
              metadata,
            })
          ).id
        : (
            await connect.transfer({
              account,
              amount: move.amount,
              currency: payment.currency,
              paymentId: payment.id,
              idempotencyKey: `dispute-won:${move.dispute.id}`,
              metadata,
            })
          ).id;
    const record: TransferRecord = {
      creatorId: order.creatorId,
      orderId: order.id,
      paymentId: payment.id,
      accountId: account,
      kind: move.kind,
      reason: move.kind === "reversal" ? "dispute" : "dispute_won",
      sourceId: move.dispute.id,
      amount: move.amount,
      feeRefunded: 0,
      currency: payment.currency,
      providerId,
    };
    try {
      await runBatch(ctx.db, [
        transferWrite(ctx.db, record, ctx.now),
        // A racing delivery recorded it first: its audit row stands, ours is not written.
        expectOneChange(ctx.db),
        auditWrite(
          {
            db: ctx.db,
            creatorId: order.creatorId,
            actor: `provider:${ctx.provider.name}`,
            now: ctx.now,
          },
          move.kind === "reversal" ? "connect.transfer_reversed" : "connect.transfer_sent",
          { type: "order", id: order.id },
          {
            reason: record.reason,
            dispute_id: move.dispute.id,
            payment_id: payment.id,
            account_id: account,
            amount: move.amount,
            currency: payment.currency,
            provider_id: providerId,
          },
        ),
      ]);
    } catch (error) {
      const now = await transfersOf(ctx.db, payment.id);
      const landed = now.some(
        (t) => t.kind === record.kind && t.reason === record.reason && t.sourceId === record.sourceId,
      );
      if (!landed) throw error;
    }
  }
}
