/**
 * The subscription access reducer (src/subscriptions/access.ts), attacked with fast-check: random provider
 * facts (snapshots of every status, paid and refunded invoices on a weekly grid) delivered in any order
 * and more than once. After every delivery the policy's promises hold, and the final state depends only
 * on the facts, never on their order or on repeats.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AccessPolicy,
  accessEnd,
  paidThrough,
  reduce,
  type SubscriptionEvent,
  type SubscriptionState,
  started,
  statuses,
} from "../../src/subscriptions/access";

const WEEK = 7 * 24 * 3600_000;
const HOUR = 3600_000;
const policy: AccessPolicy = { renewalLeewayMs: 2 * HOUR, graceMs: 3 * 24 * HOUR, dunningMs: 7 * 24 * HOUR };
// Vite hands the test only `VITE_`-prefixed variables of the shell's environment.
const settings = (import.meta as unknown as { env: Record<string, string | undefined> }).env;
const RUNS = Number(settings.VITE_SUBSCRIPTION_MODEL_RUNS ?? 500);

const week = fc.integer({ min: 0, max: 12 });
const snapshot = fc.record({
  type: fc.constant("snapshot" as const),
  at: fc.integer({ min: 0, max: 50 }),
  status: fc.constantFrom(...statuses),
  k: week,
  cancelAtPeriodEnd: fc.boolean(),
  trial: fc.boolean(),
});
const invoice = fc.record({
  type: fc.constantFrom("invoice_paid" as const, "invoice_refunded" as const),
  at: fc.integer({ min: 0, max: 50 }),
  k: week,
});
const facts = fc.array(fc.oneof(snapshot, invoice), { minLength: 1, maxLength: 30 }).map((raw) =>
  raw.map((r): SubscriptionEvent => {
    const periodStart = r.k * WEEK;
    const periodEnd = (r.k + 1) * WEEK;
    if (r.type === "snapshot") {
      const { at, status, cancelAtPeriodEnd } = r;
      const trialEnd = r.trial ? periodStart + 3 * 24 * HOUR : null;
      return { type: "snapshot", at, status, periodStart, periodEnd, cancelAtPeriodEnd, trialEnd };
    }
    return { type: r.type, at: r.at, periodStart, periodEnd };
  }),
);

/** Each fact delivered at least once, some twice, in a shuffled order. */
const deliveries = facts.chain((events) =>
  fc
    .tuple(
      fc.shuffledSubarray(events, { minLength: 0, maxLength: events.length }),
      fc.array(fc.nat(), { minLength: events.length * 2, maxLength: events.length * 2 }),
    )
    .map(([repeats, order]) => {
      const all = [...events, ...repeats];
      const keyed = all.map((e, i) => ({ e, key: order[i % order.length] ?? 0, i }));
      keyed.sort((a, b) => a.key - b.key || a.i - b.i);
      return { events, delivered: keyed.map((k) => k.e) };
    }),
);

const start = () => started(0, WEEK);

/** What the promise is about: everything but our own version counter. */
const observed = (s: SubscriptionState) => ({
  status: s.status,
  periodStart: s.periodStart,
  periodEnd: s.periodEnd,
  cancelAtPeriodEnd: s.cancelAtPeriodEnd,
  trialEnd: s.trialEnd,
  paidThrough: paidThrough(s),
  access: accessEnd(s, policy),
});

describe("subscription access: the reducer under any delivery order", () => {
  it("ends in the same state whatever the order and however often a fact arrives", () => {
    fc.assert(
      fc.property(deliveries, ({ events, delivered }) => {
        const inOrder = events.reduce(reduce, start());
        const shuffled = delivered.reduce(reduce, start());
        expect(observed(shuffled)).toEqual(observed(inOrder));
      }),
      { numRuns: RUNS },
    );
  });

  it("after every delivery: no paid period cut short, no unpaid time beyond leeway and grace, cancellation terminal, versions only grow", () => {
    fc.assert(
      fc.property(deliveries, ({ delivered }) => {
        let state = start();
        let canceled = false;
        for (const event of delivered) {
          const before = state;
          state = reduce(state, event);
          // A repeat of what just landed changes nothing.
          expect(reduce(state, event)).toBe(state);
          expect(state.version).toBe(before.version + (state === before ? 0 : 1));
          if (event.type === "snapshot" && event.status === "canceled") canceled = true;
          const access = accessEnd(state, policy);
          const paid = paidThrough(state);
          if (canceled) {
            expect(state.status).toBe("canceled");
            expect(access).toBeNull();
          }
          if (["incomplete", "paused", "unpaid", "canceled"].includes(state.status))
            expect(access).toBeNull();
          if (access !== null) {
            // Never less than what was paid for.
            if (paid !== null) expect(access).toBeGreaterThanOrEqual(paid);
            // Never more than the period (or trial, or payment) plus the leeway or the grace.
            const covered = Math.max(state.periodEnd, state.trialEnd ?? 0, paid ?? 0);
            const slack = Math.max(policy.renewalLeewayMs, Math.min(policy.graceMs, policy.dunningMs));
            expect(access).toBeLessThanOrEqual(covered + slack);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("keeps an active member's access through a renewal in flight, and ends a cancel-at-period-end exactly at the paid end", () => {
    const active = reduce(reduce(start(), { type: "invoice_paid", at: 1, periodStart: 0, periodEnd: WEEK }), {
      type: "snapshot",
      at: 2,
      status: "active",
      periodStart: 0,
      periodEnd: WEEK,
      cancelAtPeriodEnd: false,
      trialEnd: null,
    });
    expect(accessEnd(active, policy)).toBe(WEEK + 2 * HOUR);
    const cancelling = reduce(active, {
      type: "snapshot",
      at: 3,
      status: "active",
      periodStart: 0,
      periodEnd: WEEK,
      cancelAtPeriodEnd: true,
      trialEnd: null,
    });
    expect(accessEnd(cancelling, policy)).toBe(WEEK);
    // A late invoice.paid after the cancellation never revives it.
    const canceled = reduce(cancelling, {
      type: "snapshot",
      at: 4,
      status: "canceled",
      periodStart: 0,
      periodEnd: WEEK,
      cancelAtPeriodEnd: false,
      trialEnd: null,
    });
    const late = reduce(
      reduce(canceled, { type: "invoice_paid", at: 5, periodStart: WEEK, periodEnd: 2 * WEEK }),
      {
        type: "snapshot",
        at: 6,
        status: "active",
        periodStart: WEEK,
        periodEnd: 2 * WEEK,
        cancelAtPeriodEnd: false,
        trialEnd: null,
      },
    );
    expect(late.status).toBe("canceled");
    expect(accessEnd(late, policy)).toBeNull();
  });

  it("gives a past_due member the grace period, capped by the dunning deadline", () => {
    const pastDue = reduce(
      reduce(start(), { type: "invoice_paid", at: 1, periodStart: 0, periodEnd: WEEK }),
      {
        type: "snapshot",
        at: 2,
        status: "past_due",
        // As Stripe reports a failed renewal: the period has moved on to the unpaid one.
        periodStart: WEEK,
        periodEnd: 2 * WEEK,
        cancelAtPeriodEnd: false,
        trialEnd: null,
      },
    );
    expect(accessEnd(pastDue, policy)).toBe(WEEK + 3 * 24 * HOUR);
    expect(accessEnd(pastDue, { ...policy, dunningMs: 24 * HOUR })).toBe(WEEK + 24 * HOUR);
  });
});
