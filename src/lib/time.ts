/** Timestamps are stored as UTC epoch milliseconds and shown as ISO 8601 UTC strings. */
export const toIso = (ms: number): string => new Date(ms).toISOString();
export const toIsoOrNull = (ms: number | null): string | null => (ms === null ? null : toIso(ms));

/** The clock is passed in, never read ambiently, so tests can pin it. */
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };
