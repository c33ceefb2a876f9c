/**
 * Disputes: a cardholder's bank taking the money back. Every `charge.dispute.*` event goes through the
 * payment inbox (events.ts), which settles the payment and then hands its disputes, re-read from the
 * provider, to `settleDisputes`. Working from the provider's current view rather than the event's
 * snapshot makes the outcome independent of delivery order and repeats: `closed` before `created`, or
 * `created` twice, end the same.
 *
 * The policy, as a careful payments engineer would set it:
 * - A chargeback (the money is withdrawn) revokes what the order granted, as a refund does: reason
 *   `chargeback`, the member's token version bumped. The order stays `paid` (the money was received and
 *   the dispute may be won) and carries the dispute's id, status and when it was first learned.
 * - An inquiry (`warning_…`, nothing withdrawn yet) is recorded and audited but does not revoke: the
 *   creator still holds the money, and refunding it is how an inquiry is best answered. If the bank
 *   escalates it to a chargeback, access is revoked then.
 * - A dispute won does not re-grant. The cardholder told their bank they did not make or did not get
 *   this purchase; handing access back to whoever holds that card, automatically, weeks later, is the
 *   creator's call (grant it from the entitlements API), not the webhook's. So access follows the
 *   chargeback, whatever order its events arrive in, and a dispute seen first as `won` revokes too.
 * - A dispute lost is final: access stays revoked and the drop's units go back on sale if its policy
 *   restocks on refunds, exactly as a refund would.
 * - A status this code does not know is treated as a chargeback: access fails closed.
 * - A destination charge (Connect) also moves the creator's share: taken back from its account when
 *   the money is withdrawn, sent again when the dispute is won (src/connect/disputes.ts).
 */
import { and, type Column, eq, sql } from "drizzle-orm";
import { settleDisputeShares } from "../connect/disputes";
import type { Write } from "../db/client";
import { expectOneChange, runBatch } from "../db/client";
import { type OrderRow, orders } from "../db/schema";
import { revokeSourceWrites } from "../entitlements/store";
import type { Dispute, Payment } from "../payments/provider";
import { endAtProvider } from "../subscriptions/provider-sync";
import { restockIfPolicy } from "./settle";
import { holdsOf, loadCheckout } from "./store";
import { audit, type Loaded, type PaymentContext, type Settled } from "./transition";

export type DisputePhase = "inquiry" | "inquiry_closed" | "prevented" | "chargeback" | "won" | "lost";

export function phaseOf(status: string): DisputePhase {
  switch (status) {
    case "warning_needs_response":
    case "warning_under_review":
      return "inquiry";
    case "warning_closed":
      return "inquiry_closed";
    case "prevented":
      return "prevented";
    case "won":
      return "won";
    case "lost":
      return "lost";
    default:
      // needs_response, under_review, appeal_…, and anything newer: the money is (or may be) gone.
      return "chargeback";
  }
}

/** Whether the bank took the money back at some point: access is revoked from then on. */
export const chargedBack = (phase: DisputePhase | null): boolean =>
  phase === "chargeback" || phase === "won" || phase === "lost";

/** The order's dispute marker, as stored. */
type Marker = Pick<OrderRow, "disputeId" | "disputeStatus">;

interface DisputeMove {
  dispute: Dispute;
  /** This move is the first to see a chargeback: revoke what the order granted. */
  revoke: boolean;
  action: string;
}

/**
 * Pure: where the order's dispute marker goes given every dispute on its payment, or null when it
 * stays. The dispute that governs is the newest one the bank charged back on, else the newest inquiry.
 */
function disputeMove(marker: Marker, disputes: Dispute[]): DisputeMove | null {
  const newestFirst = [...disputes].sort((a, b) => b.created - a.created || b.id.localeCompare(a.id));
  const dispute = newestFirst.find((d) => chargedBack(phaseOf(d.status))) ?? newestFirst[0];
  if (dispute === undefined) return null;
  if (dispute.id === marker.disputeId && dispute.status === marker.disputeStatus) return null;
  const before = marker.disputeStatus === null ? null : phaseOf(marker.disputeStatus);
  const after = phaseOf(dispute.status);
  const revoke = chargedBack(after) && !chargedBack(before);
  return { dispute, revoke, action: actionFor(before, after, revoke) };
}

function actionFor(before: DisputePhase | null, after: DisputePhase, revoke: boolean): string {
  if (after === "lost") return "order.dispute_lost";
  if (after === "won") return revoke ? "order.disputed" : "order.dispute_won";
  if (revoke) return "order.disputed";
  if (after === "inquiry" && before === null) return "order.dispute_inquiry";
  if (after === "inquiry_closed" || after === "prevented") return "order.dispute_closed";
  return "order.dispute_updated";
}

/** `column IS value`, which also matches NULL to NULL. */
const is = (column: Column, value: string | null) => sql`${column} IS ${value}`;

/**
 * Applies the provider's disputes on `payment` to its order, once per change of the governing
 * dispute's status. Lands one guarded batch: the marker moves only from the marker it was computed
 * from, so two deliveries racing land one audit row and one revocation between them.
 */
export async function settleDisputes(ctx: PaymentContext, payment: Payment): Promise<Settled> {
  const checkoutId = payment.metadata.checkout_id;
  const disputes = (await ctx.provider.disputes(payment.id)).filter((d) => d.paymentId === payment.id);
  let settled: Settled = "unchanged";
  // A landed move, then one more pass that finds nothing left but the restock check; races retry.
  for (let attempt = 0; attempt < 4; attempt++) {
    const loaded = checkoutId === undefined ? undefined : await loadCheckout(ctx.db, checkoutId);
    if (loaded === undefined || loaded.checkout.provider !== ctx.provider.name) return "unknown_payment";
    const move = disputeMove(loaded.order, disputes);
    if (move === null) {
      await restockIfLost(ctx, loaded);
      // Every delivery checks, as for the restock: a movement whose answer was lost is made up here.
      await settleDisputeShares(ctx, loaded, payment, disputes);
      // Whoever sees the order charged back asks its provider to stop billing what it started.
      const phase = loaded.order.disputeStatus === null ? null : phaseOf(loaded.order.disputeStatus);
      if (phase !== null && chargedBack(phase) && phase !== "won") await endAtProvider(ctx, loaded.order.id);
      return settled;
    }
    try {
      await runBatch(ctx.db, disputeWrites(ctx, loaded, move));
      settled = "changed";
    } catch (error) {
      // Another delivery moved the marker first (or ours landed and its answer was lost): read it
      // again and see what is left to do.
      const now = await loadCheckout(ctx.db, loaded.checkout.id);
      if (now === undefined || markerOf(now.order) === markerOf(loaded.order)) throw error;
    }
  }
  // Still moving after every pass: leave the event unhandled, so the cron tries it again.
  throw new Error(`disputes on ${payment.id} did not settle in 4 passes`);
}

/**
 * A lost dispute on a paid order applies the drop's restock policy, as a refund does. The drop's object
 * restocks a hold once, so every delivery that sees the loss asks: one whose batch landed but whose
 * answer was lost must not leave the units sold.
 */
async function restockIfLost(ctx: PaymentContext, { checkout, order }: Loaded): Promise<void> {
  if (order.status !== "paid" || order.disputeStatus === null || phaseOf(order.disputeStatus) !== "lost")
    return;
  await restockIfPolicy(ctx, { ...checkout, orderId: order.id, holds: holdsOf(checkout, order.quantity) });
}

const markerOf = (order: Marker) => `${order.disputeId ?? ""}:${order.disputeStatus ?? ""}`;

function disputeWrites(ctx: PaymentContext, loaded: Loaded, move: DisputeMove): Write[] {
  const { order, checkout } = loaded;
  const memberId = order.memberId ?? checkout.memberId;
  // Only a paid order still grants something; a refunded one was revoked by its refund.
  const revoking = move.revoke && order.status === "paid" && memberId !== null;
  const source = {
    creatorId: order.creatorId,
    type: "order" as const,
    id: order.id,
    memberId: memberId ?? "",
  };
  return [
    ctx.db
      .update(orders)
      .set({
        disputeId: move.dispute.id,
        disputeStatus: move.dispute.status,
        disputedAt: order.disputedAt ?? ctx.now,
        updatedAt: ctx.now,
      })
      .where(
        and(
          eq(orders.id, order.id),
          is(orders.disputeId, order.disputeId),
          is(orders.disputeStatus, order.disputeStatus),
        ),
      ),
    expectOneChange(ctx.db),
    ...(revoking ? revokeSourceWrites(ctx.db, source, "chargeback", ctx.now) : []),
    audit(ctx, loaded, move.action, {
      dispute_id: move.dispute.id,
      status: move.dispute.status,
      previous_status: order.disputeStatus,
      reason: move.dispute.reason,
      amount: move.dispute.amount,
      currency: move.dispute.currency,
      revoked: revoking,
    }),
  ];
}
