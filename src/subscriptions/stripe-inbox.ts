/**
 * Stripe Billing's events through the payment inbox (src/checkout/events.ts stores each once, by id,
 * then hands it here): the subscription they name, found by its Stripe id, gets the facts
 * stripe-billing.ts reads from them, folded by the access reducer in one guarded batch (store.ts).
 *
 * - An event for a subscription we have not written yet (its checkout's paid batch has not landed) is
 *   left unprocessed: the cron tries it again, as it does for a payment whose checkout is not written.
 * - An event whose subscription names another creator (its metadata's `creator_id`, or `order_id`, is
 *   not the row's) changes nothing and is audited for the creator whose subscription it named: Stripe's
 *   signature proves Stripe sent it, not that it is about this creator's member (one Stripe account
 *   serves every creator, and metadata is whatever the object was created with).
 * - A renewal's charge refunded or charged back names only its PaymentIntent: the invoice it paid is
 *   looked up at Stripe, and its period counts as refunded (final, whatever comes after).
 * - An invoice paid for a subscription that already ended here is refunded, and the subscription
 *   cancelled at Stripe: money is never kept without access.
 */
import { and, eq } from "drizzle-orm";
import { auditWrite } from "../audit";
import { chargedBack, phaseOf } from "../checkout/disputes";
import type { PaymentContext } from "../checkout/transition";
import { destinationOfPayment, paymentRefundWrites, reversalOption } from "../connect/refunds";
import { runBatch, type Write } from "../db/client";
import { type SubscriptionRow, subscriptions } from "../db/schema";
import type { BillingInvoice, Payment, Refund } from "../payments/provider";
import type { SubscriptionEvent } from "./access";
import { periodAt } from "./intervals";
import { invoiceWrite } from "./invoices";
import { applySubscriptionEvents } from "./store";
import { billingFactsOf, invoiceFacts, rereadAt, snapshotOf } from "./stripe-billing";

export { isBillingEventType } from "./stripe-billing";

export type BillingOutcome = "processed" | "deferred";

const ACTOR = "system:stripe";

interface StripeEventLike {
  id: string;
  type: string;
  created: number;
  data: { object: unknown };
}

type Row = Pick<
  SubscriptionRow,
  "id" | "creatorId" | "orderId" | "anchor" | "intervalUnit" | "intervalCount"
>;

const rowOf = async (ctx: PaymentContext, providerSubscriptionId: string): Promise<Row | undefined> => {
  const [row] = await ctx.db
    .select({
      id: subscriptions.id,
      creatorId: subscriptions.creatorId,
      orderId: subscriptions.orderId,
      anchor: subscriptions.anchor,
      intervalUnit: subscriptions.intervalUnit,
      intervalCount: subscriptions.intervalCount,
    })
    .from(subscriptions)
    .where(
      and(
        eq(subscriptions.provider, ctx.provider.name),
        eq(subscriptions.providerSubscriptionId, providerSubscriptionId),
      ),
    )
    .limit(1);
  return row;
};

/** Why metadata does not belong to this row's subscription, or null when it does. */
function strangerOf(row: Row, metadata: Record<string, string>): string | null {
  if (metadata.creator_id !== row.creatorId) return "creator";
  if (metadata.order_id !== undefined && metadata.order_id !== row.orderId) return "order";
  return null;
}

async function refuse(
  ctx: PaymentContext,
  row: Row,
  event: { id: string; type: string },
  why: string,
  metadata: Record<string, string>,
): Promise<BillingOutcome> {
  await runBatch(ctx.db, [
    auditWrite(
      { db: ctx.db, creatorId: row.creatorId, actor: ACTOR, now: ctx.now },
      "subscription.event_refused",
      { type: "subscription", id: row.id },
      {
        event_id: event.id,
        event_type: event.type,
        mismatch: why,
        named_creator_id: metadata.creator_id ?? null,
      },
    ),
  ]);
  return "processed";
}

/** Re-reads the subscription from Stripe: its snapshot now, or the reason it is not this row's. */
async function reread(
  ctx: PaymentContext,
  row: Row,
  subscriptionId: string,
  eventCreatedMs: number,
): Promise<{ events: SubscriptionEvent[] } | { stranger: string; metadata: Record<string, string> }> {
  if (ctx.provider.retrieveSubscription === undefined) {
    throw new Error(`${ctx.provider.name} cannot read subscriptions`);
  }
  const sub = await ctx.provider.retrieveSubscription(subscriptionId);
  const stranger = strangerOf(row, sub.metadata);
  if (stranger !== null) return { stranger, metadata: sub.metadata };
  const snapshot = snapshotOf(sub, rereadAt(eventCreatedMs, ctx.now));
  return { events: snapshot === null ? [] : [snapshot] };
}

/** Handles a `customer.subscription.*` or `invoice.*` event (see the file's comment). */
export async function applyBillingEvent(
  ctx: PaymentContext,
  event: StripeEventLike,
): Promise<BillingOutcome> {
  const facts = billingFactsOf(event);
  if (facts === null) return "processed";
  const row = await rowOf(ctx, facts.subscriptionId);
  if (row === undefined) return "deferred";
  const stranger = strangerOf(row, facts.metadata);
  if (stranger !== null) return refuse(ctx, row, event, stranger, facts.metadata);
  let events = facts.events;
  if (facts.reread) {
    const read = await reread(ctx, row, facts.subscriptionId, event.created * 1000);
    if ("stranger" in read) return refuse(ctx, row, event, read.stranger, read.metadata);
    events = [...events, ...read.events];
  }
  const record = facts.invoice === undefined ? [] : invoiceRecord(ctx, row, facts.invoice);
  const applied =
    events.length > 0 || record.length > 0
      ? await applySubscriptionEvents({ db: ctx.db, now: ctx.now, actor: ACTOR }, row.id, events, {
          writes: record,
        })
      : undefined;
  if (event.type === "invoice.paid" && applied?.state.status === "canceled") {
    await refundPaidAfterEnd(ctx, row, (event.data.object as { id: string }).id);
  }
  return "processed";
}

/**
 * Stripe took a payment for a subscription that had already ended here (its cancellation at Stripe
 * failed, or crossed the renewal): nothing grants access for it, so the payment is refunded and the
 * subscription cancelled at Stripe, each under a key of its own so a redelivery does neither twice.
 */
async function refundPaidAfterEnd(ctx: PaymentContext, row: Row, invoiceId: string): Promise<void> {
  const { provider } = ctx;
  const stripeId = await providerIdOf(ctx, row.id);
  if (stripeId !== null && provider.cancelSubscription !== undefined) {
    await provider.cancelSubscription(stripeId, { idempotencyKey: `subscription-cancel:${row.id}` });
  }
  const paymentId = await provider.paymentOfInvoice?.(invoiceId);
  if (paymentId === undefined || paymentId === null) return;
  // A destination charge (the creator paid through Connect): its share comes back with the refund.
  const paid = await provider.retrieve(paymentId);
  const destination = destinationOfPayment(paid);
  let refund: Refund;
  try {
    refund = await provider.refund(paymentId, {
      reason: "requested_by_customer",
      idempotencyKey: `refund-after-end:${invoiceId}`,
      metadata: { subscription_id: row.id, invoice_id: invoiceId, reason: "paid_after_subscription_ended" },
      ...reversalOption(destination?.account),
    });
  } catch (error) {
    // Refunded already (the order's own refund of a first invoice whose event came late): done.
    const payment = await provider.retrieve(paymentId);
    if (payment.amountRefunded < payment.amount) throw error;
    return;
  }
  await runBatch(ctx.db, [
    auditWrite(
      { db: ctx.db, creatorId: row.creatorId, actor: ACTOR, now: ctx.now },
      "subscription.payment_refunded",
      { type: "subscription", id: row.id },
      { invoice_id: invoiceId, payment_id: paymentId, reason: "paid_after_subscription_ended" },
    ),
    ...paymentRefundWrites(
      { db: ctx.db, actor: ACTOR, now: ctx.now },
      { creatorId: row.creatorId, orderId: row.orderId, paid, refund },
      { type: "subscription", id: row.id },
    ),
  ]);
}

const providerIdOf = async (ctx: PaymentContext, id: string): Promise<string | null> => {
  const [found] = await ctx.db
    .select({ stripeId: subscriptions.providerSubscriptionId })
    .from(subscriptions)
    .where(eq(subscriptions.id, id))
    .limit(1);
  return found?.stripeId ?? null;
};

/**
 * A payment event whose PaymentIntent is no checkout's: if it paid one of our subscriptions' invoices
 * (a renewal), a refund in full or a chargeback refunds that invoice's period; anything else about it
 * (its success, a failed attempt) is told by the invoice's own events. "unknown" when it paid no
 * invoice of ours, or its subscription is not written yet (the caller defers it).
 */
export async function settleInvoicePayment(
  ctx: PaymentContext,
  payment: Payment,
  event: { id: string; type: string },
): Promise<BillingOutcome | "unknown"> {
  if (ctx.provider.invoiceOfPayment === undefined) return "unknown";
  const invoice = await ctx.provider.invoiceOfPayment(payment.id);
  if (invoice?.subscriptionId == null) return "unknown";
  const row = await rowOf(ctx, invoice.subscriptionId);
  if (row === undefined) return "unknown";
  const stranger = strangerOf(row, invoice.metadata);
  if (stranger !== null) return refuse(ctx, row, event, stranger, invoice.metadata);
  const refunded = payment.amount > 0 && payment.amountRefunded >= payment.amount;
  const disputed =
    event.type.startsWith("charge.dispute.") &&
    (await ctx.provider.disputes(payment.id)).some((d) => chargedBack(phaseOf(d.status)));
  if (!refunded && !disputed) return "processed";
  // Stripe may have ended the subscription with the refund: its snapshot comes along.
  const read = await reread(ctx, row, invoice.subscriptionId, ctx.now);
  if ("stranger" in read) return refuse(ctx, row, event, read.stranger, read.metadata);
  const events = [...invoiceFacts(invoice, "invoice_refunded", ctx.now), ...read.events];
  await applySubscriptionEvents({ db: ctx.db, now: ctx.now, actor: ACTOR }, row.id, events);
  return "processed";
}

/**
 * Our record of a Stripe invoice's period (paid, or still open after a failed attempt), as the sandbox
 * keeps its own: one row per period, Stripe's attempt count, in the batch that applies the event. The
 * payment of a paid Stripe invoice is kept as Stripe reports it, on its own payment's events.
 */
function invoiceRecord(ctx: PaymentContext, row: Row, invoice: BillingInvoice): Write[] {
  if (invoice.periodStart === null || invoice.periodEnd === null) return [];
  if (invoice.status !== "paid" && invoice.status !== "open") return [];
  const paid = invoice.status === "paid";
  return [
    invoiceWrite(
      ctx.db,
      {
        creatorId: row.creatorId,
        subscriptionId: row.id,
        periodIndex: periodAt(
          row.anchor,
          { unit: row.intervalUnit, count: row.intervalCount },
          invoice.periodStart,
        ).index,
        periodStart: invoice.periodStart,
        periodEnd: invoice.periodEnd,
        amount: paid ? invoice.amountPaid : invoice.amountDue,
        currency: invoice.currency,
        status: paid ? "paid" : "open",
        paymentId: null,
        lastError: null,
        at: ctx.now,
        attempts: invoice.attempts,
      },
      ctx.now,
    ),
  ];
}
