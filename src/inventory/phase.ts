/** Where a drop stands in time, by its terms: the one rule the object, D1's views and the API share. */
import type { DropTerms } from "./ledger";

export const dropPhases = ["upcoming", "live", "ended", "closed"] as const;
export type DropPhase = (typeof dropPhases)[number];

export function phaseAt(terms: Pick<DropTerms, "closed" | "startsAt" | "endsAt">, now: number): DropPhase {
  if (terms.closed) return "closed";
  if (now < terms.startsAt) return "upcoming";
  if (terms.endsAt !== null && now >= terms.endsAt) return "ended";
  return "live";
}

/** Why the drop takes no new holds at `now`, or null while it is live. */
export function notSelling(terms: DropTerms, now: number): "not_started" | "ended" | null {
  if (now < terms.startsAt) return "not_started";
  if (terms.closed || (terms.endsAt !== null && now >= terms.endsAt)) return "ended";
  return null;
}
