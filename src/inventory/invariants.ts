/** The ledger's invariants, checked after every step by the model-based test and on demand by the object. */
import { available, countsForBuyer, type Ledger, liveUnits } from "./ledger";

/** Every invariant the ledger must keep, as messages; empty when all hold. */
export function ledgerViolations(l: Ledger): string[] {
  const problems: string[] = [];
  if (available(l) < 0) problems.push(`oversold: held ${l.held} + sold ${l.sold} > stock ${l.terms.stock}`);
  let units = 0;
  const queued = new Set(l.expiries.toArray().map((e) => `${e.id}@${e.at}`));
  const perBuyer = new Map<string, number>();
  for (const hold of l.live.values()) {
    if (hold.state !== "held") problems.push(`hold ${hold.id} is ${hold.state} but still live`);
    if (!queued.has(`${hold.id}@${hold.expiresAt}`)) problems.push(`hold ${hold.id} has no queued expiry`);
    if (hold.consumed < 0 || hold.consumed > hold.quantity)
      problems.push(`hold ${hold.id} consumed ${hold.consumed} of ${hold.quantity}`);
    units += liveUnits(hold);
    if (countsForBuyer(hold)) perBuyer.set(hold.buyer, (perBuyer.get(hold.buyer) ?? 0) + hold.quantity);
  }
  if (units !== l.held) problems.push(`held ${l.held} but live holds total ${units}`);
  for (const [buyer, units] of l.buyers) {
    // A zero total is dropped: one-off anonymous buyers must not pile up in memory.
    if (units <= 0) problems.push(`buyer ${buyer} kept with a total of ${units}`);
    if (units < (perBuyer.get(buyer) ?? 0))
      problems.push(`buyer ${buyer} total ${units} below their live holds`);
    if (l.terms.perBuyerLimit !== null && units > l.terms.perBuyerLimit) {
      problems.push(`buyer ${buyer} has ${units}, over the limit of ${l.terms.perBuyerLimit}`);
    }
  }
  return problems;
}
