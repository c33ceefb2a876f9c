/** Pure rules for entitlements. */
import type { OfferRow } from "../db/schema";

/**
 * The end of one billing period starting at `from`, in UTC. A month ends on the same day of the next
 * month, or that month's last day when it is shorter (31 January runs to 28 or 29 February).
 */
export function periodEnd(from: number, interval: NonNullable<OfferRow["billingInterval"]>): number {
  const start = new Date(from);
  const months = interval === "month" ? 1 : 12;
  const year = start.getUTCFullYear();
  const month = start.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return Date.UTC(
    year,
    month,
    Math.min(start.getUTCDate(), lastDay),
    start.getUTCHours(),
    start.getUTCMinutes(),
    start.getUTCSeconds(),
    start.getUTCMilliseconds(),
  );
}
