/**
 * The payment event inbox. Every provider event is stored by id before anything acts on it: a
 * redelivery finds its id taken and changes nothing. Handling re-reads the payment from the provider,
 * so events may arrive in any order (a late `payment_failed` after `succeeded` sees `succeeded`). An
 * event whose checkout is not written yet stays unprocessed and the cron tries it again. A dispute
 * event settles the payment the same way, then applies the provider's current disputes on it
 * (disputes.ts), so those too converge whatever order they arrive in. Stripe Billing's events (a
 * subscription's snapshots, its invoices paid or failed) go to the subscription they name
 * (src/subscriptions/stripe-inbox.ts), deferred the same way until it is written.
 */
import { and, asc, eq, isNull, lt, lte, sql } from "drizzle-orm";
import { paymentEvents } from "../db/schema";
import type { ProviderEvent } from "../payments/provider";
import { applyBillingEvent, isBillingEventType, settleInvoicePayment } from "../subscriptions/stripe-inbox";
import { settleDisputes } from "./disputes";
import { type PaymentContext, settlePayment } from "./settle";

export type Ingested = "duplicate" | "processed" | "deferred" | "acknowledged" | "accepted";

/** Event types that move a checkout; others are stored and acknowledged. */
const settling = new Set<string>([
  "payment_intent.succeeded",
  "payment_intent.payment_failed",
  "payment_intent.requires_action",
  "payment_intent.canceled",
  "charge.refunded",
  "charge.dispute.created",
  "charge.dispute.updated",
  "charge.dispute.closed",
  "charge.dispute.funds_withdrawn",
  "charge.dispute.funds_reinstated",
]);

const isDispute = (type: string) => type.startsWith("charge.dispute.");

/**
 * Stores the event once, then handles it: at once, or through `later` (a webhook answers first and
 * handles after; the cron retries anything whose handling did not finish). A type we do not handle is
 * kept and acknowledged.
 */
export async function ingestEvent(
  ctx: PaymentContext,
  event: { id: string; type: string; paymentId: string | null; payload: unknown },
  later?: (work: Promise<unknown>) => void,
): Promise<Ingested> {
  const [stored] = await ctx.db
    .insert(paymentEvents)
    .values(inboxRow(ctx, event))
    .onConflictDoNothing()
    .returning({ eventId: paymentEvents.eventId });
  if (stored === undefined) return "duplicate";
  const billing = isBillingEventType(event.type);
  if (!billing && (!settling.has(event.type) || event.paymentId === null)) {
    await markProcessed(ctx, event.id, null);
    return "acknowledged";
  }
  const toHandle = {
    eventId: event.id,
    type: event.type,
    paymentId: event.paymentId,
    payload: event.payload,
  };
  if (later === undefined) return dispatch(ctx, toHandle);
  later(dispatch(ctx, toHandle));
  return "accepted";
}

type Stored = { eventId: string; type: string; paymentId: string | null; payload: unknown };

/** A billing event goes to its subscription; anything else settles its payment. */
const dispatch = (ctx: PaymentContext, event: Stored): Promise<Ingested> =>
  isBillingEventType(event.type) || event.paymentId === null
    ? handleBilling(ctx, event)
    : handle(ctx, { ...event, paymentId: event.paymentId });

async function handleBilling(ctx: PaymentContext, event: Stored): Promise<Ingested> {
  try {
    const outcome = await applyBillingEvent(ctx, {
      ...(event.payload as Parameters<typeof applyBillingEvent>[1]),
      id: event.eventId,
    });
    const deferred = outcome === "deferred";
    await markProcessed(
      ctx,
      event.eventId,
      deferred ? "no subscription for this event yet" : null,
      !deferred,
    );
    return outcome;
  } catch (error) {
    await markProcessed(ctx, event.eventId, String(error), false);
    return "deferred";
  }
}

const inboxRow = (
  ctx: PaymentContext,
  event: { id: string; type: string; paymentId: string | null; payload: unknown },
) => ({
  provider: ctx.provider.name,
  eventId: event.id,
  type: event.type,
  paymentId: event.paymentId,
  payload: JSON.stringify(event.payload),
  receivedAt: ctx.now,
});

/**
 * An emitted event stored as already handled, for the batch that lands what handling it would do (a
 * create that completed the payment the event reports): only where handling would change nothing.
 */
export function handledEventWrite(ctx: PaymentContext, event: ProviderEvent) {
  return ctx.db
    .insert(paymentEvents)
    .values({ ...inboxRow(ctx, fromProviderEvent(event)), processedAt: ctx.now, attempts: 1 })
    .onConflictDoNothing();
}

export const isDisputeEvent = (type: string) => isDispute(type);

async function handle(
  ctx: PaymentContext,
  event: { eventId: string; type: string; paymentId: string },
): Promise<Ingested> {
  const { eventId, paymentId } = event;
  try {
    const payment = await ctx.provider.retrieve(paymentId);
    const settled = await settlePayment(ctx, payment, "event");
    // No checkout's: a renewal invoice's payment (Stripe Billing), or one not written yet.
    if (settled === "unknown_payment") {
      if ((await settleInvoicePayment(ctx, payment, { id: eventId, type: event.type })) === "processed") {
        await markProcessed(ctx, eventId, null);
        return "processed";
      }
      await markProcessed(ctx, eventId, "no checkout for this payment yet", false);
      return "deferred";
    }
    // The payment is settled first, so a dispute delivered before its payment's success still finds
    // the order paid (and granted) and then revokes it: never the other way round.
    if (isDispute(event.type)) await settleDisputes(ctx, payment);
    await markProcessed(ctx, eventId, null);
    return "processed";
  } catch (error) {
    await markProcessed(ctx, eventId, String(error), false);
    return "deferred";
  }
}

async function markProcessed(ctx: PaymentContext, eventId: string, error: string | null, done = true) {
  await ctx.db
    .update(paymentEvents)
    .set({
      processedAt: done ? ctx.now : null,
      attempts: sql`${paymentEvents.attempts} + 1`,
      lastError: error,
    })
    .where(and(eq(paymentEvents.provider, ctx.provider.name), eq(paymentEvents.eventId, eventId)));
}

/** The sandbox's events, as the inbox takes them. */
export const fromProviderEvent = (event: ProviderEvent) => ({
  id: event.id,
  type: event.type,
  paymentId: event.payment.id,
  payload: event,
});

/** Handles what the sandbox emitted during this request, through the same inbox as Stripe's webhooks. */
export async function drainEmitted(ctx: PaymentContext & { emitted: ProviderEvent[] }): Promise<void> {
  for (const event of ctx.emitted.splice(0)) await ingestEvent(ctx, fromProviderEvent(event));
}

const MAX_EVENT_ATTEMPTS = 10;

/** Cron: events stored over a minute ago and still unhandled get another try, oldest first. */
export async function retryDeferredEvents(ctx: PaymentContext, limit = 50): Promise<number> {
  const due = await ctx.db
    .select({
      eventId: paymentEvents.eventId,
      type: paymentEvents.type,
      paymentId: paymentEvents.paymentId,
      payload: paymentEvents.payload,
    })
    .from(paymentEvents)
    .where(
      and(
        eq(paymentEvents.provider, ctx.provider.name),
        isNull(paymentEvents.processedAt),
        lte(paymentEvents.receivedAt, ctx.now - 60_000),
        // An event for a payment that is not ours (another product on the same Stripe account) never
        // finds a checkout: after this many tries it stays in the inbox, unhandled, for a person to see.
        lt(paymentEvents.attempts, MAX_EVENT_ATTEMPTS),
      ),
    )
    .orderBy(asc(paymentEvents.receivedAt))
    .limit(limit);
  for (const event of due) {
    if (event.paymentId !== null || isBillingEventType(event.type)) {
      await dispatch(ctx, { ...event, payload: JSON.parse(event.payload) });
    }
  }
  return due.length;
}
