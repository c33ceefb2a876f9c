/** Pure rules for entitlements. */
import type { OfferRow } from "../db/schema";
import { boundary, namedIntervals } from "../subscriptions/intervals";

/**
 * The end of one billing period starting at `from`, in UTC. A month ends on the same day of the next
 * month, or that month's last day when it is shorter (31 January runs to 28 or 29 February).
 */
export const periodEnd = (from: number, interval: NonNullable<OfferRow["billingInterval"]>): number =>
  boundary(from, namedIntervals[interval], 1);
