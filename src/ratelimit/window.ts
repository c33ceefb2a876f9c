/**
 * The exact layer's arithmetic, pure so it is tested outside workerd: a fixed window per policy that
 * starts at the first hit after the previous one ended. A fixed window lets through at most twice the
 * limit across one boundary; for failure counts and quotes that is acceptable, and it needs one row of
 * state per key and policy (a sliding log would need one per hit).
 */
export interface WindowState {
  /** Epoch ms when this window started. */
  start: number;
  count: number;
}

export interface HitResult {
  ok: boolean;
  /** Hits left in the window after this one (0 once the limit is reached). */
  remaining: number;
  /** Milliseconds until the window ends and the count starts over; at least 1. */
  resetMs: number;
}

/** The window in force at `now`: the stored one, or a fresh one if it ended (or never started). */
export function current(state: WindowState | undefined, now: number, windowMs: number): WindowState {
  if (state === undefined || now >= state.start + windowMs || now < state.start)
    return { start: now, count: 0 };
  return state;
}

/**
 * Counts `cost` hits (0 to only look) against `limit`. A hit over the limit is refused and not counted,
 * so a caller hammering a closed window does not push its own reset further away.
 */
export function hit(
  state: WindowState | undefined,
  now: number,
  limit: number,
  windowMs: number,
  cost: number,
): { next: WindowState; result: HitResult } {
  const window = current(state, now, windowMs);
  const resetMs = Math.max(1, window.start + windowMs - now);
  if (window.count + cost > limit || (cost === 0 && window.count >= limit)) {
    return { next: window, result: { ok: false, remaining: 0, resetMs } };
  }
  const next = { start: window.start, count: window.count + cost };
  return { next, result: { ok: true, remaining: Math.max(0, limit - next.count), resetMs } };
}
