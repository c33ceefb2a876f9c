/**
 * The Stripe Billing mapper (src/subscriptions/stripe-billing.ts), pure: Stripe's objects, shaped as the
 * fake builds them from Stripe's published examples, become the reducer's facts with times in
 * milliseconds, Stripe's statuses one to one (`incomplete_expired` as canceled), the billed period from
 * the invoice's subscription line, and snapshots ordered by the event's time, then content.
 */
import type Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { reduce, type SubscriptionEvent, started } from "../../src/subscriptions/access";
import {
  billingFactsOf,
  billingInvoiceOf,
  billingSubscriptionOf,
  rereadAt,
  snapshotOf,
  statusOf,
} from "../../src/subscriptions/stripe-billing";
import { invoiceObject, subscriptionObject } from "../support/stripe-fake-billing-objects";

const START = 1_800_000_000;
const WEEK_S = 7 * 24 * 3600;

function subscription(changes: Partial<Stripe.Subscription> = {}): Stripe.Subscription {
  const sub = subscriptionObject({
    customer: "cus_1",
    product: "off_1",
    currency: "usd",
    amount: 300,
    interval: "week",
    count: 1,
    start: START,
    end: START + WEEK_S,
    metadata: { creator_id: "cre_1", order_id: "ord_1" },
  });
  return { ...sub, status: "active", ...changes };
}

const event = (type: string, created: number, object: unknown) => ({ type, created, data: { object } });

describe("Stripe's subscription as the reducer's snapshot", () => {
  it("maps statuses one to one, incomplete_expired as canceled, and skips a status it does not know", () => {
    for (const s of ["incomplete", "trialing", "active", "past_due", "paused", "unpaid", "canceled"]) {
      expect(statusOf(s)).toBe(s);
    }
    expect(statusOf("incomplete_expired")).toBe("canceled");
    expect(statusOf("something_new")).toBeNull();
    expect(
      snapshotOf(billingSubscriptionOf(subscription({ status: "something_new" as "active" })), 0),
    ).toBeNull();
  });

  it("reads the period from the item, in milliseconds, and cancel_at at the period's end as cancelling", () => {
    const sub = billingSubscriptionOf(subscription());
    expect(sub).toMatchObject({
      periodStart: START * 1000,
      periodEnd: (START + WEEK_S) * 1000,
      cancelAtPeriodEnd: false,
      trialEnd: null,
      metadata: { creator_id: "cre_1" },
    });
    expect(billingSubscriptionOf(subscription({ cancel_at: START + WEEK_S })).cancelAtPeriodEnd).toBe(true);
    expect(billingSubscriptionOf(subscription({ cancel_at: START + 2 * WEEK_S })).cancelAtPeriodEnd).toBe(
      false,
    );
    expect(billingSubscriptionOf(subscription({ trial_end: START + 60 })).trialEnd).toBe((START + 60) * 1000);
  });

  it("an active subscription whose collection is paused is paused: nothing is billed, nothing granted", () => {
    const paused = subscription({ pause_collection: { behavior: "void", resumes_at: null } });
    expect(billingSubscriptionOf(paused).status).toBe("paused");
  });

  it("a customer.subscription.* event is its object's snapshot at the event's time, with no re-read", () => {
    const facts = billingFactsOf(
      event("customer.subscription.deleted", START + 5, subscription({ status: "canceled" })),
    );
    expect(facts).toEqual({
      subscriptionId: expect.stringMatching(/^sub_/),
      metadata: { creator_id: "cre_1", order_id: "ord_1" },
      events: [expect.objectContaining({ type: "snapshot", at: (START + 5) * 1000, status: "canceled" })],
      reread: false,
    });
  });
});

describe("Stripe's invoices as paid periods", () => {
  const sub = subscription();
  const item = sub.items.data[0] as Stripe.SubscriptionItem;

  it("invoice.paid pays the period on its subscription line, not the invoice's own period_*; both invoice events re-read", () => {
    const invoice = {
      ...invoiceObject(sub, item, { reason: "subscription_cycle", created: START }),
      status: "paid" as const,
    };
    // Stripe's invoice-level period is the one before, for usage billed in arrears.
    expect(invoice.period_end).not.toBe(invoice.lines.data[0]?.period.end);
    expect(billingFactsOf(event("invoice.paid", START + 9, invoice))).toMatchObject({
      subscriptionId: sub.id,
      metadata: sub.metadata,
      events: [
        {
          type: "invoice_paid",
          at: (START + 9) * 1000,
          periodStart: START * 1000,
          periodEnd: (START + WEEK_S) * 1000,
        },
      ],
      reread: true,
    });
    const open = invoiceObject(sub, item, { reason: "subscription_cycle", created: START });
    expect(billingFactsOf(event("invoice.payment_failed", START, open))).toMatchObject({
      events: [],
      reread: true,
    });
    // An invoice.paid whose invoice is not paid (a stale object) pays nothing.
    expect(billingFactsOf(event("invoice.paid", START, open))?.events).toEqual([]);
  });

  it("an invoice that is no subscription's, and other event types, name nothing", () => {
    const oneOff = { ...invoiceObject(sub, item, { reason: "manual", created: START }), parent: null };
    expect(billingInvoiceOf(oneOff).subscriptionId).toBeNull();
    expect(billingFactsOf(event("invoice.paid", START, oneOff))).toBeNull();
    expect(billingFactsOf(event("invoice.created", START, oneOff))).toBeNull();
    expect(billingFactsOf(event("payment_intent.succeeded", START, {}))).toBeNull();
  });
});

describe("ordering", () => {
  it("a re-read counts from its second, never before the event that prompted it", () => {
    expect(rereadAt(5_000, 9_750)).toBe(9_000);
    expect(rereadAt(12_000, 9_750)).toBe(12_000);
  });

  it("snapshots of one second, in any order, fold to the same state (the reducer orders them by content)", () => {
    const snap = (status: Stripe.Subscription.Status, created: number) =>
      billingFactsOf(event("customer.subscription.updated", created, subscription({ status })))?.events ?? [];
    const [active, pastDue] = [snap("active", START + 3), snap("past_due", START + 3)];
    const fold = (es: SubscriptionEvent[]) => es.reduce(reduce, started(0, 1));
    const orders = [
      [...active, ...pastDue],
      [...pastDue, ...active],
      [...active, ...pastDue, ...active],
    ];
    const ends = orders.map(fold);
    for (const end of ends) expect({ ...end, version: 0 }).toEqual({ ...ends[0], version: 0 });
    expect(ends[0]).toMatchObject({
      status: "past_due",
      statusKey: [(START + 3) * 1000, 3, (START + WEEK_S) * 1000, START * 1000, 0, -1],
    });
    // A second later, Stripe's active snapshot wins whatever came in the second before.
    const later = snap("active", START + 4);
    for (const o of orders) expect(fold([...later, ...o]).status).toBe("active");
  });
});
