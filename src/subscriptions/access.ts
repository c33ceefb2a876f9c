/**
 * The access policy of a renewing subscription, pure and provider-neutral: one reducer folds what a
 * provider says (Stripe Billing's events, or the sandbox's) into the subscription's state, and one
 * function says until when that state grants the tier. Both are total and deterministic, so the same
 * facts give the same access whatever order they arrived in and however often.
 *
 * The rules (issue 15):
 * - A provider's snapshot of the subscription (`customer.subscription.*`) is ordered by the provider's own
 *   time: an older snapshot than the one applied changes nothing. `canceled` is terminal: it applies
 *   whenever it arrives, and nothing after it revives the subscription.
 * - What was paid for (`paidThrough`) is the end of the latest paid period that was not refunded: a
 *   payment and its refund may arrive in either order, and a refund is final.
 * - Access: active, the period end plus a renewal leeway (a renewal in flight never cuts access);
 *   cancelling at period end, the period end exactly, never less than what was paid for; past_due, a
 *   grace period after the unpaid period's start (where paid time ended), capped by the dunning deadline; trialing, the trial end plus the
 *   leeway; incomplete, paused, unpaid and canceled, none. A current period whose payment was refunded or
 *   charged back grants nothing, whatever the provider's status says.
 */
import { subscriptionStatuses } from "../db/tables/subscriptions";

/** The statuses a subscription row can hold (the table's enum): one list for both. */
export const statuses = subscriptionStatuses;
export type Status = (typeof statuses)[number];

export interface SubscriptionState {
  status: Status;
  periodStart: number;
  periodEnd: number;
  cancelAtPeriodEnd: boolean;
  trialEnd: number | null;
  /** The order of the snapshot applied last (the provider's time first): older ones are stale. */
  statusKey: readonly number[] | null;
  /** Every period an invoice was paid or refunded for, by its end; a refund is final. */
  periods: readonly Period[];
  /** Ours, monotonic: bumped by every change, so a row's writes can be guarded on it. */
  version: number;
}

export interface Period {
  start: number;
  end: number;
  refunded: boolean;
}

export type Snapshot = {
  type: "snapshot";
  at: number;
  status: Status;
  periodStart: number;
  periodEnd: number;
  cancelAtPeriodEnd: boolean;
  trialEnd: number | null;
};

export type SubscriptionEvent =
  | Snapshot
  | { type: "invoice_paid"; at: number; periodStart: number; periodEnd: number }
  | { type: "invoice_refunded"; at: number; periodStart: number; periodEnd: number };

export interface AccessPolicy {
  /** Added to an active period's end, so a renewal charged after it never cuts access. At least 1 h. */
  renewalLeewayMs: number;
  /** How long a past_due member keeps access after the period end. */
  graceMs: number;
  /** When the provider's last retry falls, after the period end: grace never outlasts it. */
  dunningMs: number;
}

export const MIN_RENEWAL_LEEWAY_MS = 60 * 60 * 1000;

/** Statuses that still bill and can be cancelled or paused. */
export const isLive = (s: Pick<SubscriptionState, "status">): boolean =>
  s.status === "active" || s.status === "trialing" || s.status === "past_due";

/** A subscription as its checkout starts it: incomplete until the first payment and snapshot land. */
export function started(periodStart: number, periodEnd: number): SubscriptionState {
  return {
    status: "incomplete",
    periodStart,
    periodEnd,
    cancelAtPeriodEnd: false,
    trialEnd: null,
    statusKey: null,
    periods: [],
    version: 0,
  };
}

/** The end of the latest paid period not refunded; null before any. */
export function paidThrough(state: SubscriptionState): number | null {
  let end: number | null = null;
  for (const p of state.periods) if (!p.refunded && (end === null || p.end > end)) end = p.end;
  return end;
}

/** The state after `event`; the same object when the event changes nothing (stale or repeated). */
export function reduce(state: SubscriptionState, event: SubscriptionEvent): SubscriptionState {
  const next = apply(state, event);
  return next === state ? state : { ...next, version: state.version + 1 };
}

function apply(state: SubscriptionState, event: SubscriptionEvent): SubscriptionState {
  switch (event.type) {
    case "snapshot": {
      const key = keyOf(event);
      const newer = state.statusKey === null || compareKeys(key, state.statusKey) > 0;
      // Terminal wins: a cancellation applies whenever it arrives; nothing after it revives the
      // subscription (a later cancellation with newer periods still replaces an older one).
      const applies =
        state.status === "canceled"
          ? event.status === "canceled" && newer
          : event.status === "canceled" || newer;
      if (!applies) return state;
      const { status, periodStart, periodEnd, cancelAtPeriodEnd, trialEnd } = event;
      return { ...state, status, periodStart, periodEnd, cancelAtPeriodEnd, trialEnd, statusKey: key };
    }
    case "invoice_paid":
    case "invoice_refunded": {
      const refunded = event.type === "invoice_refunded";
      const found = state.periods.find((p) => p.end === event.periodEnd);
      if (found !== undefined && (found.refunded || !refunded)) return state;
      const rest = state.periods.filter((p) => p.end !== event.periodEnd);
      const period = { start: found?.start ?? event.periodStart, end: event.periodEnd, refunded };
      return { ...state, periods: [...rest, period].sort((a, b) => a.end - b.end) };
    }
  }
}

/** A snapshot's order: the provider's time, then its content, so equal times still order one way. */
const keyOf = (e: Snapshot): number[] => [
  e.at,
  statuses.indexOf(e.status),
  e.periodEnd,
  e.periodStart,
  e.cancelAtPeriodEnd ? 1 : 0,
  e.trialEnd ?? -1,
];

function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Until when the state grants the tier (ms, UTC), or null for no access. Tokens minted from it carry an
 * `exp` no later than this; a change to null is a revocation (the member's token version is bumped).
 */
export function accessEnd(state: SubscriptionState, policy: AccessPolicy): number | null {
  const leeway = Math.max(policy.renewalLeewayMs, MIN_RENEWAL_LEEWAY_MS);
  const paid = paidThrough(state) ?? Number.NEGATIVE_INFINITY;
  // The current period's payment was refunded (or charged back): it grants nothing, whatever the status.
  if (state.periods.some((p) => p.refunded && p.end === state.periodEnd)) return null;
  switch (state.status) {
    case "active":
    case "trialing": {
      const end = Math.max(
        state.status === "trialing" ? (state.trialEnd ?? state.periodEnd) : state.periodEnd,
        paid,
      );
      // Cancelling at period end: exactly what was paid for (or the trial), nothing renews after it.
      return state.cancelAtPeriodEnd ? end : end + leeway;
    }
    case "past_due":
      // The provider moves the period on when it bills a renewal (Stripe's current_period is the unpaid
      // one), so grace counts from that period's start: where the paid time ended.
      return Math.max(state.periodStart + Math.min(policy.graceMs, policy.dunningMs), paid);
    case "incomplete":
    case "paused":
    case "unpaid":
    case "canceled":
      return null;
  }
}
