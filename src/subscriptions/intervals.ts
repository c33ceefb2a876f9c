/**
 * Billing intervals for renewing memberships, pure and in UTC: `week`, `fortnight` (2 weeks), `month`,
 * `year`, and every N weeks or months. Period boundaries are counted from the subscription's anchor (its
 * first period's start), never chained from the previous end, so months do not drift: a subscription
 * anchored on 31 January renews on 28 (or 29) February, then 31 March, as Stripe Billing does.
 */

export interface Interval {
  unit: "week" | "month" | "year";
  count: number;
}

export const namedIntervals = {
  week: { unit: "week", count: 1 },
  fortnight: { unit: "week", count: 2 },
  month: { unit: "month", count: 1 },
  year: { unit: "year", count: 1 },
} as const satisfies Record<string, Interval>;

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;
/** The longest interval a creator may set: a year, in any unit. */
export const MAX_COUNT = { week: 52, month: 12, year: 1 } as const;

/** Whether `interval` is one this product bills: a whole count from 1 up to a year. */
export const isValidInterval = (i: Interval): boolean =>
  Number.isInteger(i.count) && i.count >= 1 && i.count <= MAX_COUNT[i.unit];

/** The start of period `n` (0 is the anchor itself); months clamp to the month's last day. */
export function boundary(anchor: number, interval: Interval, n: number): number {
  if (interval.unit === "week") return anchor + n * interval.count * WEEK_MS;
  const months = n * interval.count * (interval.unit === "year" ? 12 : 1);
  const a = new Date(anchor);
  const year = a.getUTCFullYear();
  const month = a.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return Date.UTC(
    year,
    month,
    Math.min(a.getUTCDate(), lastDay),
    a.getUTCHours(),
    a.getUTCMinutes(),
    a.getUTCSeconds(),
    a.getUTCMilliseconds(),
  );
}

/** The period containing `at` (at or after the anchor): its index, start and end. */
export function periodAt(anchor: number, interval: Interval, at: number) {
  if (at < anchor) return { index: 0, start: anchor, end: boundary(anchor, interval, 1) };
  // An estimate from the average length, then corrected by at most a step either way.
  const average = interval.unit === "week" ? interval.count * WEEK_MS : averageMonthMs(interval);
  let index = Math.max(0, Math.floor((at - anchor) / average));
  while (index > 0 && boundary(anchor, interval, index) > at) index -= 1;
  while (boundary(anchor, interval, index + 1) <= at) index += 1;
  return { index, start: boundary(anchor, interval, index), end: boundary(anchor, interval, index + 1) };
}

const averageMonthMs = (i: Interval) => i.count * (i.unit === "year" ? 12 : 1) * 30.436875 * 24 * 3600_000;

/**
 * A price per interval as monthly recurring revenue, in minor units (fractional: round when reporting),
 * as Stripe and ChartMogul normalise it: weekly × 52 ÷ 12, yearly ÷ 12.
 */
export function monthlyAmount(amount: number, interval: Interval): number {
  if (interval.unit === "week") return (amount * 52) / (12 * interval.count);
  if (interval.unit === "year") return amount / (12 * interval.count);
  return amount / interval.count;
}
