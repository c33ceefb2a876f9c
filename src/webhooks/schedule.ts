/**
 * When to try a delivery again, and what an answer means. Pure: the delivery code and the tests use it.
 *
 * The schedule is Svix's, the Standard Webhooks reference (immediately, 5 s, 5 min, 30 min, 2 h, 5 h,
 * 10 h, 10 h), carried on with 14 h, 14 h and 19 h so that the last attempt comes about 75 hours after
 * the first: 11 attempts in all. Each wait is jittered by ±10 % so that an endpoint that was down does
 * not receive every retry at the same instant.
 */
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** The wait after attempt n fails (n = 1 is the first attempt, made at once). */
export const RETRY_WAITS_MS = [
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  10 * HOUR,
  14 * HOUR,
  14 * HOUR,
  19 * HOUR,
] as const;
export const MAX_ATTEMPTS = RETRY_WAITS_MS.length + 1;
export const JITTER = 0.1;
/** A receiver gets this long to answer, then the attempt counts as failed. */
export const ATTEMPT_TIMEOUT_MS = 15 * SECOND;
/** An endpoint failing this long with no success in between is disabled (Svix's rule). */
export const FAILING_DISABLE_AFTER_MS = 5 * 24 * HOUR;
/** A Retry-After longer than this is capped: the schedule, not the receiver, bounds the wait. */
const MAX_RETRY_AFTER_MS = 24 * HOUR;

export type Outcome =
  | { kind: "succeeded" }
  /** 410 Gone: the receiver says the endpoint no longer exists; it is disabled at once. */
  | { kind: "gone" }
  | { kind: "retry"; at: number }
  | { kind: "exhausted" };

/** The jittered wait after failed attempt `attempts` (1-based); `random` is in [0, 1). */
export function retryWait(attempts: number, random: number): number | null {
  const base = RETRY_WAITS_MS[attempts - 1];
  if (base === undefined) return null;
  return Math.round(base * (1 - JITTER + 2 * JITTER * random));
}

/** Seconds or an HTTP date, as RFC 9110 allows; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed) * SECOND, MAX_RETRY_AFTER_MS);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}

/**
 * What attempt `attempts` (1-based, this one included) leads to. `status` is null when no answer came
 * (network error, timeout). A 429 or 503 with Retry-After waits at least that long.
 */
export function outcomeOf(p: {
  status: number | null;
  retryAfter: string | null;
  attempts: number;
  now: number;
  random: number;
}): Outcome {
  if (p.status !== null && p.status >= 200 && p.status < 300) return { kind: "succeeded" };
  if (p.status === 410) return { kind: "gone" };
  const wait = retryWait(p.attempts, p.random);
  if (wait === null) return { kind: "exhausted" };
  const asked = p.status === 429 || p.status === 503 ? (parseRetryAfter(p.retryAfter, p.now) ?? 0) : 0;
  return { kind: "retry", at: p.now + Math.max(wait, asked) };
}
