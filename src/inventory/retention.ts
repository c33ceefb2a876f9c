/**
 * How long a drop's object remembers what is no longer live. Pure: the ledger, the object's storage and
 * the model test all apply these same rules.
 *
 * A buyer's hold that ended (released or expired) is remembered for 24 hours past its expiry time, and
 * forgotten after: its row, and the reserve key on it, are purged. That covers the API's promise (a
 * reserve key replays its hold for 24 hours) whenever the hold ended, since a hold never outlives its
 * expiry time. Without a bound, anonymous reserve-then-release cycles would grow the object's storage,
 * memory and start-up time forever.
 *
 * Kept for as long as the object: a committed hold (it is a sale: sold units, commit idempotent per
 * order, restock after a refund, and the reserve key that made it, so a late replay finds the sale and
 * never sells twice); a point-of-sale sale; and an allotment, live or ended (offline sales made while it
 * held units are honoured at sync, however late). Those grow only with paid sales and with the claims
 * of the creator's own registered devices, never with anonymous traffic.
 */
import type { Hold } from "./ledger";

export const RETAIN_ENDED_MS = 24 * 60 * 60 * 1000;

/** When a hold may be forgotten, or null while it must be kept. */
export function forgetAt(hold: Pick<Hold, "kind" | "state" | "expiresAt">): number | null {
  const ended = hold.state === "released" || hold.state === "expired";
  return hold.kind === "hold" && ended ? hold.expiresAt + RETAIN_ENDED_MS : null;
}

/**
 * Whether a hold still exists at `now`. A forgotten hold reads as never made, whether or not the purge
 * has removed its row yet, so every answer depends on the time alone, never on when the alarm ran.
 */
export function remembered(hold: Pick<Hold, "kind" | "state" | "expiresAt">, now: number): boolean {
  const at = forgetAt(hold);
  return at === null || now < at;
}
