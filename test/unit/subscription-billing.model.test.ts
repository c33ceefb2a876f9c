/**
 * The renewal engine's pure core (src/subscriptions/billing.ts folded through access.ts), driven by
 * fast-check: random clock advances, cards that start or stop failing (a new card retries a failing
 * invoice at once, as the member's route does), and cancel-at-period-end toggles, each due step run at
 * its own time exactly as renewals.ts runs them. After every action the promise is checked:
 * - no paid period is ever cut short: while the wall of paid time lies ahead, access reaches it;
 * - access never covers time nobody paid for beyond the renewal leeway or the past_due grace;
 * - no period is paid twice; nothing renews after a member asked to cancel at period end (even when the
 *   ask came while a renewal was failing); dunning never outlives its schedule; versions only grow.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { accessEnd, reduce, type SubscriptionState, started } from "../../src/subscriptions/access";
import {
  afterCharge,
  DUNNING_MS,
  type Dunning,
  ended,
  NO_DUNNING,
  stepAt,
} from "../../src/subscriptions/billing";
import { boundary, type Interval } from "../../src/subscriptions/intervals";
import { DEFAULT_ACCESS_POLICY as policy } from "../../src/subscriptions/store";

const env = (import.meta as unknown as { env: Record<string, string | undefined> }).env;
const RUNS = Number(env.VITE_SUBSCRIPTION_MODEL_RUNS ?? 300);
const HOUR = 3600_000;

type Action =
  | { kind: "advance"; ms: number }
  | { kind: "card"; good: boolean }
  | { kind: "cancel_at_period_end"; on: boolean };

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.integer({ min: 1, max: 10 * 24 }).map((h) => ({ kind: "advance" as const, ms: h * HOUR })),
  },
  { weight: 2, arbitrary: fc.boolean().map((good) => ({ kind: "card" as const, good })) },
  { weight: 1, arbitrary: fc.boolean().map((on) => ({ kind: "cancel_at_period_end" as const, on })) },
);

const intervals: fc.Arbitrary<Interval> = fc.constantFrom<Interval>(
  { unit: "week", count: 1 },
  { unit: "week", count: 2 },
  { unit: "month", count: 1 },
);

interface World {
  state: SubscriptionState;
  anchor: number;
  interval: Interval;
  dunning: Dunning;
  good: boolean;
  now: number;
  /** Period start → successful charges. */
  charges: Map<number, number>;
  /** The end of the last period paid for. */
  paidEnd: number;
  finalStatus: "unpaid" | "canceled";
  /** What the member last asked: to cancel at period end (nothing may renew after it) or not. */
  wantsCancel: boolean;
}

function start(interval: Interval, finalStatus: World["finalStatus"]): World {
  const anchor = Date.UTC(2027, 0, 31, 12);
  const end = boundary(anchor, interval, 1);
  const state = [
    { type: "invoice_paid" as const, at: anchor, periodStart: anchor, periodEnd: end },
    {
      type: "snapshot" as const,
      at: anchor,
      status: "active" as const,
      periodStart: anchor,
      periodEnd: end,
      cancelAtPeriodEnd: false,
      trialEnd: null,
    },
  ].reduce(reduce, started(anchor, end));
  return {
    state,
    anchor,
    interval,
    dunning: NO_DUNNING,
    good: true,
    now: anchor,
    charges: new Map([[anchor, 1]]),
    paidEnd: end,
    finalStatus,
    wantsCancel: false,
  };
}

/** One charge step with the current card, as renewals.ts `charge` lands it. */
function charge(w: World, step: Extract<ReturnType<typeof stepAt>, { kind: "charge" }>) {
  // A member who asked to cancel at period end is never charged for a new period.
  if (step.attempt === 1) expect(w.wantsCancel).toBe(false);
  const outcome = afterCharge(step, w.good, w.dunning, w.finalStatus, w.state.cancelAtPeriodEnd);
  if (w.good) {
    w.charges.set(step.periodStart, (w.charges.get(step.periodStart) ?? 0) + 1);
    w.paidEnd = Math.max(w.paidEnd, step.periodEnd);
  }
  w.state = outcome.events.reduce(reduce, w.state);
  w.dunning = outcome.dunning;
}

/** Every step due by now, each at its own time (runSteps). */
function runDue(w: World) {
  for (let i = 0; i < 1000; i++) {
    const step = stepAt(
      { state: w.state, anchor: w.anchor, interval: w.interval, dunning: w.dunning },
      w.now,
    );
    if (step.kind === "none") return;
    if (step.kind === "end") w.state = reduce(w.state, ended(w.state, step.at));
    else charge(w, step);
  }
  throw new Error("steps never settled");
}

function act(w: World, a: Action) {
  const at = Math.max(w.now, (w.state.statusKey?.[0] ?? 0) + 1);
  const live = ["active", "past_due"].includes(w.state.status);
  switch (a.kind) {
    case "advance":
      w.now += a.ms;
      runDue(w);
      return;
    case "card":
      w.good = a.good;
      // A new card while a renewal is failing: the failed invoice is retried with it at once.
      if (w.state.status === "past_due") {
        charge(w, {
          kind: "charge",
          at,
          periodIndex: 0,
          periodStart: w.state.periodStart,
          periodEnd: w.state.periodEnd,
          attempt: w.dunning.attempts + 1,
        });
      }
      return;
    case "cancel_at_period_end":
      if (!live) return;
      w.wantsCancel = a.on;
      w.state = reduce(w.state, {
        type: "snapshot",
        at,
        status: w.state.status,
        periodStart: w.state.periodStart,
        periodEnd: w.state.periodEnd,
        cancelAtPeriodEnd: a.on,
        trialEnd: null,
      });
      return;
  }
}

describe("the renewal engine's core under random clocks, cards and cancellations", () => {
  it("never cuts a paid period short, never grants unpaid time beyond leeway and grace, never charges a period twice", () => {
    fc.assert(
      fc.property(
        intervals,
        fc.constantFrom<World["finalStatus"]>("unpaid", "canceled"),
        fc.array(action, { minLength: 1, maxLength: 40 }),
        (interval, finalStatus, actions) => {
          const w = start(interval, finalStatus);
          for (const a of actions) {
            const version = w.state.version;
            act(w, a);
            expect(w.state.version).toBeGreaterThanOrEqual(version);
            const access = accessEnd(w.state, policy);
            // No paid period cut short.
            if (w.now < w.paidEnd) {
              expect(access).not.toBeNull();
              expect(access ?? 0).toBeGreaterThanOrEqual(w.paidEnd);
            }
            // No unpaid time beyond the leeway (active) or the grace (past_due).
            if (access !== null) {
              const slack = w.state.status === "past_due" ? policy.graceMs : policy.renewalLeewayMs;
              expect(access).toBeLessThanOrEqual(w.paidEnd + slack);
            }
            for (const n of w.charges.values()) expect(n).toBe(1);
            if (w.state.status === "past_due") {
              expect(w.dunning.since).not.toBeNull();
              expect(w.now).toBeLessThanOrEqual((w.dunning.since ?? 0) + DUNNING_MS);
            }
            if (["unpaid", "canceled"].includes(w.state.status)) expect(access).toBeNull();
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
  it("keeps a cancellation asked for while a renewal is failing: the recovered period is the last", () => {
    const w = start({ unit: "week", count: 1 }, "unpaid");
    for (const a of [
      { kind: "card", good: false },
      { kind: "advance", ms: 7 * 24 * HOUR },
      { kind: "cancel_at_period_end", on: true },
      { kind: "card", good: true },
    ] as Action[])
      act(w, a);
    expect(w.state).toMatchObject({ status: "active", cancelAtPeriodEnd: true });
    act(w, { kind: "advance", ms: 8 * 24 * HOUR });
    expect(w.state.status).toBe("canceled");
    expect(w.charges.size).toBe(2);
  });
});
