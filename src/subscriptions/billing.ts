/**
 * What a renewing subscription does next, pure: when its next step falls due (a renewal, a retry of a
 * failed one, the end of a cancelling period), what that step charges, and the facts its outcome adds
 * to the access reducer (access.ts). The sandbox's renewal engine (renewals.ts) runs these steps; the
 * times are the subscription's own (its sandbox clock, clock.ts), never the wall clock.
 *
 * Dunning follows a schedule of retries after the first failed charge (1, 3, 5 and 7 days by default,
 * like Stripe's Smart Retries' usual spread): a retry that succeeds makes the subscription active again
 * for the same period; when the last one fails it becomes `unpaid` or `canceled`, the creator's choice.
 */
import type { Status, SubscriptionEvent, SubscriptionState } from "./access";
import { boundary, type Interval, periodAt } from "./intervals";

const DAY = 24 * 3600_000;

/** Retries after the first failure, in days since it. */
export const DUNNING_RETRY_DAYS = [1, 3, 5, 7] as const;
/** When the last retry falls after the first failure: grace never outlasts it. */
export const DUNNING_MS = Math.max(...DUNNING_RETRY_DAYS) * DAY;

export interface Dunning {
  /** Failed charges of the current invoice. */
  attempts: number;
  /** When the first of them failed; null when nothing is failing. */
  since: number | null;
}

export const NO_DUNNING: Dunning = { attempts: 0, since: null };

export interface Billed {
  state: SubscriptionState;
  anchor: number;
  interval: Interval;
  dunning: Dunning;
}

export type Step =
  | { kind: "none" }
  /** A cancel-at-period-end reached the period's end. */
  | { kind: "end"; at: number }
  /** Charge for a period: attempt 1 is the renewal, later ones are retries. */
  | {
      kind: "charge";
      at: number;
      periodIndex: number;
      periodStart: number;
      periodEnd: number;
      attempt: number;
    };

/** When the next step falls due, in the subscription's time; null when nothing will happen by itself. */
export function dueOf({ state, dunning }: Pick<Billed, "state" | "dunning">): number | null {
  switch (state.status) {
    case "active":
      return state.periodEnd;
    case "trialing":
      return state.trialEnd ?? state.periodEnd;
    case "past_due": {
      const wait = DUNNING_RETRY_DAYS[dunning.attempts - 1];
      return dunning.since === null || wait === undefined ? null : dunning.since + wait * DAY;
    }
    default:
      return null;
  }
}

/**
 * The step due at `now` (the subscription's time), if any. Its `at` is when it fell due, kept after the
 * last fact applied, so that a clock advanced by weeks replays each renewal and retry at its own time.
 */
export function stepAt(b: Billed, now: number): Step {
  const due = dueOf(b);
  if (due === null || due > now) return { kind: "none" };
  const at = Math.max(due, (b.state.statusKey?.[0] ?? Number.NEGATIVE_INFINITY) + 1);
  const { state } = b;
  if (state.status === "past_due") {
    const { index } = periodAt(b.anchor, b.interval, state.periodStart);
    return {
      kind: "charge",
      at,
      periodIndex: index,
      periodStart: state.periodStart,
      periodEnd: state.periodEnd,
      attempt: b.dunning.attempts + 1,
    };
  }
  if (state.cancelAtPeriodEnd) return { kind: "end", at };
  // The next period is counted from the anchor, so the renewal lands on the boundary, never drifting.
  const { index } = periodAt(b.anchor, b.interval, state.periodEnd);
  return {
    kind: "charge",
    at,
    periodIndex: index,
    periodStart: boundary(b.anchor, b.interval, index),
    periodEnd: boundary(b.anchor, b.interval, index + 1),
    attempt: 1,
  };
}

const snapshot = (
  at: number,
  status: Status,
  period: { periodStart: number; periodEnd: number },
  cancelAtPeriodEnd = false,
): SubscriptionEvent => ({
  type: "snapshot",
  at,
  status,
  periodStart: period.periodStart,
  periodEnd: period.periodEnd,
  cancelAtPeriodEnd,
  trialEnd: null,
});

/** The facts of a period paid at `at`: its invoice, and the subscription active on it. */
export const paidPeriod = (
  at: number,
  period: { periodStart: number; periodEnd: number },
  cancelAtPeriodEnd = false,
): SubscriptionEvent[] => [
  { type: "invoice_paid", at, periodStart: period.periodStart, periodEnd: period.periodEnd },
  snapshot(at, "active", period, cancelAtPeriodEnd),
];

export interface Outcome {
  events: SubscriptionEvent[];
  dunning: Dunning;
  invoice: "paid" | "open" | "uncollectible";
}

/**
 * The facts a charge's outcome adds: paid (the period active), or failed (past_due, or the final status).
 * A cancellation at period end asked for while a renewal was failing survives the retries: once the
 * period is paid, it ends there.
 */
export function afterCharge(
  step: Extract<Step, { kind: "charge" }>,
  paid: boolean,
  dunning: Dunning,
  finalStatus: "unpaid" | "canceled",
  cancelAtPeriodEnd = false,
): Outcome {
  if (paid) {
    return {
      events: paidPeriod(step.at, step, cancelAtPeriodEnd),
      dunning: NO_DUNNING,
      invoice: "paid",
    };
  }
  const failed = { attempts: step.attempt, since: step.attempt === 1 ? step.at : dunning.since };
  const exhausted = step.attempt > DUNNING_RETRY_DAYS.length;
  return {
    events: [snapshot(step.at, exhausted ? finalStatus : "past_due", step, !exhausted && cancelAtPeriodEnd)],
    dunning: exhausted ? NO_DUNNING : failed,
    invoice: exhausted ? "uncollectible" : "open",
  };
}

/** A cancel-at-period-end's last fact: canceled at the period's end. */
export const ended = (state: SubscriptionState, at: number): SubscriptionEvent =>
  snapshot(at, "canceled", state);

/**
 * A charge the cardholder's bank disputed at once (the sandbox's 0259 card; Stripe reports it as an
 * event): the money is withdrawn, so the period counts as refunded and the subscription ends.
 */
export const chargedBack = (step: Extract<Step, { kind: "charge" }>): SubscriptionEvent[] => [
  { type: "invoice_refunded", at: step.at + 1, periodStart: step.periodStart, periodEnd: step.periodEnd },
  snapshot(step.at + 1, "canceled", step),
];
