/** What a drop's object can say about itself, for tests and operators: its invariants and its size. */
import { ledgerViolations } from "./invariants";
import type { Ledger } from "./ledger";
import type { Footprint, InventoryStore } from "./store";

export interface ObjectFootprint {
  /** Stored holds by kind and state: what a start-up loads and the disk keeps. */
  stored: Partial<Footprint>;
  /** In memory: live holds, buyers with a non-zero total, queued expiry entries. */
  live: number;
  buyers: number;
  expiries: number;
}

export function footprintOf(ledger: Ledger | null, store: InventoryStore): ObjectFootprint {
  return {
    stored: store.footprint(),
    live: ledger?.live.size ?? 0,
    buyers: ledger?.buyers.size ?? 0,
    expiries: ledger?.expiries.size() ?? 0,
  };
}

/**
 * The ledger's invariants; whether memory still agrees with what storage would load; and whether the
 * purge of ended holds is scheduled (an alarm at or before the first one is forgotten). Empty when all hold.
 */
export function selfCheckOf(ledger: Ledger, store: InventoryStore, alarmAt: number | null): string[] {
  const problems = ledgerViolations(ledger);
  const due = store.nextForget();
  if (due !== null && (alarmAt === null || alarmAt > due))
    problems.push(`ended holds are forgotten at ${due} but no alarm is set to purge them`);
  const counters = (l: Ledger | null) =>
    l && JSON.stringify([l.held, l.sold, [...l.live.keys()].sort(), [...l.buyers].sort()]);
  if (counters(store.load()) !== counters(ledger)) problems.push("memory differs from storage");
  return problems;
}
