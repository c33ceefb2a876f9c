/**
 * Stripe Billing's objects as the access reducer's facts (access.ts), pure. Stripe's times are seconds,
 * ours milliseconds. Statuses map one to one, except `incomplete_expired` (a first invoice never paid,
 * terminal at Stripe), which is `canceled` here, and an active subscription whose collection is paused
 * (`pause_collection`), which is `paused`: nothing is billed, so nothing is granted.
 *
 * Order: a snapshot is ordered by the event's `created`, then by its content (the reducer's key), so two
 * events of the same second still order one way whatever order they arrive in. Where order matters
 * (`invoice.paid`, `invoice.payment_failed`: the invoice says nothing of the subscription's status), the
 * handler re-reads the subscription and applies that snapshot too, timed when it was read.
 *
 * This API version keeps a subscription's period on its items (`items.data[].current_period_*`), an
 * invoice's subscription under `parent.subscription_details`, and the billed period on the invoice's
 * subscription line (the invoice's own `period_*` is the previous period, for usage).
 */
import type Stripe from "stripe";
import type { BillingInvoice, BillingSubscription } from "../payments/provider";
import { type Snapshot, type Status, type SubscriptionEvent, statuses } from "./access";

const ms = (seconds: number) => seconds * 1000;

/** Subscription events that carry the subscription itself as `data.object`. */
export const SUBSCRIPTION_EVENTS = [
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
  "customer.subscription.paused",
  "customer.subscription.resumed",
] as const;
export const INVOICE_EVENTS = ["invoice.paid", "invoice.payment_failed"] as const;

const billingTypes = new Set<string>([...SUBSCRIPTION_EVENTS, ...INVOICE_EVENTS]);
export const isBillingEventType = (type: string): boolean => billingTypes.has(type);

export function billingSubscriptionOf(sub: Stripe.Subscription): BillingSubscription {
  // One item per subscription here (the membership's price): its period is the subscription's.
  const item = sub.items.data[0];
  const periodStart = ms(item?.current_period_start ?? sub.start_date);
  const periodEnd = ms(item?.current_period_end ?? sub.start_date);
  return {
    id: sub.id,
    status: sub.status === "active" && sub.pause_collection !== null ? "paused" : sub.status,
    periodStart,
    periodEnd,
    // Newer versions may say it with `cancel_at` at the period's end instead of the flag.
    cancelAtPeriodEnd: sub.cancel_at_period_end || (sub.cancel_at !== null && ms(sub.cancel_at) <= periodEnd),
    trialEnd: sub.trial_end === null ? null : ms(sub.trial_end),
    metadata: { ...sub.metadata },
  };
}

const idOf = (ref: string | { id: string } | null | undefined): string | null =>
  ref === null || ref === undefined ? null : typeof ref === "string" ? ref : ref.id;

export function billingInvoiceOf(invoice: Stripe.Invoice): BillingInvoice {
  const details = invoice.parent?.subscription_details ?? null;
  const lines = invoice.lines?.data ?? [];
  const line = lines.find((l) => l.parent?.type === "subscription_item_details") ?? lines[0];
  return {
    id: invoice.id,
    subscriptionId: idOf(details?.subscription),
    metadata: { ...details?.metadata },
    status: invoice.status ?? "draft",
    periodStart: line ? ms(line.period.start) : null,
    periodEnd: line ? ms(line.period.end) : null,
    amountDue: invoice.amount_due,
    amountPaid: invoice.amount_paid,
    currency: invoice.currency.toUpperCase(),
    attempts: invoice.attempt_count,
  };
}

/** Stripe's status as the reducer's; null for one this code does not know (its snapshot is skipped). */
export function statusOf(status: string): Status | null {
  if (status === "incomplete_expired") return "canceled";
  return statuses.find((s) => s === status) ?? null;
}

export function snapshotOf(sub: BillingSubscription, at: number): Snapshot | null {
  const status = statusOf(sub.status);
  if (status === null) return null;
  return {
    type: "snapshot",
    at,
    status,
    periodStart: sub.periodStart,
    periodEnd: sub.periodEnd,
    cancelAtPeriodEnd: sub.cancelAtPeriodEnd,
    trialEnd: sub.trialEnd,
  };
}

/**
 * When a re-read snapshot counts as taken: the read's second (Stripe's resolution, so an event of the
 * same second orders against it by content, as two events would), and never before the event that
 * prompted it.
 */
export const rereadAt = (eventCreatedMs: number, now: number): number =>
  Math.max(eventCreatedMs, Math.floor(now / 1000) * 1000);

/** A paid invoice's period as paid, or refunded (a refund or chargeback of its charge). */
export function invoiceFacts(
  invoice: BillingInvoice,
  type: "invoice_paid" | "invoice_refunded",
  at: number,
): SubscriptionEvent[] {
  if (invoice.periodStart === null || invoice.periodEnd === null) return [];
  if (type === "invoice_paid" && invoice.status !== "paid") return [];
  return [{ type, at, periodStart: invoice.periodStart, periodEnd: invoice.periodEnd }];
}

export interface BillingFacts {
  /** `sub_…`: which of our subscriptions it is about (provider `stripe`). */
  subscriptionId: string;
  /** The invoice an `invoice.*` event is about, for our invoice record of its period. */
  invoice?: BillingInvoice;
  /** The metadata the event's own object carries: its `creator_id` must be the subscription's creator. */
  metadata: Record<string, string>;
  events: SubscriptionEvent[];
  /** Whether the handler re-reads the subscription and applies its snapshot too. */
  reread: boolean;
}

interface BillingEvent {
  type: string;
  created: number;
  data: { object: unknown };
}

/** What a billing event says; null for an event that names no subscription (a one-off invoice). */
export function billingFactsOf(event: BillingEvent): BillingFacts | null {
  const at = ms(event.created);
  if ((SUBSCRIPTION_EVENTS as readonly string[]).includes(event.type)) {
    const sub = billingSubscriptionOf(event.data.object as Stripe.Subscription);
    const snapshot = snapshotOf(sub, at);
    return {
      subscriptionId: sub.id,
      metadata: sub.metadata,
      events: snapshot === null ? [] : [snapshot],
      reread: false,
    };
  }
  if ((INVOICE_EVENTS as readonly string[]).includes(event.type)) {
    const invoice = billingInvoiceOf(event.data.object as Stripe.Invoice);
    if (invoice.subscriptionId === null) return null;
    return {
      subscriptionId: invoice.subscriptionId,
      invoice,
      metadata: invoice.metadata,
      // A failed attempt adds no fact of its own: the re-read subscription says past_due (or not).
      events: event.type === "invoice.paid" ? invoiceFacts(invoice, "invoice_paid", at) : [],
      reread: true,
    };
  }
  return null;
}
