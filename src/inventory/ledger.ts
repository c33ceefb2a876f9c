/**
 * A drop's inventory as pure code: counters, holds and per-buyer totals, and every operation on them.
 * The Durable Object keeps one Ledger in memory, calls these functions without awaiting anything in
 * between, and persists what they report as touched. The model-based test drives the same functions.
 *
 * Invariants (checked by `ledgerViolations`, invariants.ts): held + sold <= stock, so available = stock - held - sold
 * is never negative; held is the sum of live holds' unconsumed units; a buyer's total is their live and
 * committed units; every live hold has an entry at its expiry in `expiries`, so expiry and the next
 * alarm cost O(log n).
 *
 * Holds come in three kinds. A buyer's `hold` is the checkout path. A point-of-sale device's
 * `allotment` is a long hold that offline sales draw down (`consumed`) without ever ending it; each
 * sale it pays for is a `pos_sale`, committed from birth. Only buyers' holds count toward per-buyer
 * limits: a device is not a buyer (see allotments.ts).
 */
import { Heap } from "heap-js";
import { notSelling } from "./phase";
import { remembered } from "./retention";

export interface DropTerms {
  stock: number;
  startsAt: number;
  endsAt: number | null;
  perBuyerLimit: number | null;
  holdTtlMs: number;
  closed: boolean;
}

export type HoldState = "held" | "committed" | "released" | "expired";
export type HoldKind = "hold" | "allotment" | "pos_sale";

export interface Hold {
  id: string;
  kind: HoldKind;
  buyer: string;
  quantity: number;
  createdAt: number;
  expiresAt: number;
  state: HoldState;
  orderRef: string | null;
  extended: boolean;
  /** A committed hold whose order was refunded and whose units went back on sale. */
  restocked: boolean;
  /** Allotments only: units offline sales have taken from it (they count as sold, not held). */
  consumed: number;
}

/** Holds that are no longer live, looked up on demand (SQL in the object, a Map in tests). */
export interface HoldArchive {
  get(id: string): Hold | undefined;
}

export interface Ledger {
  terms: DropTerms;
  held: number;
  sold: number;
  live: Map<string, Hold>;
  /** Min-heap of (expiry, hold id). Entries of holds that ended or were extended go stale and are skipped. */
  expiries: Heap<Expiry>;
  buyers: Map<string, number>;
  archive: HoldArchive;
}

export interface Expiry {
  at: number;
  id: string;
}

export type ReserveRefusal = "not_started" | "ended" | "sold_out" | "insufficient" | "buyer_limit_reached";
export type HoldRefusal =
  | "hold_not_found"
  | "hold_expired"
  | "hold_released"
  | "already_committed"
  | "extension_used"
  | "not_committed";
export type StockRefusal = "below_committed";

export type Outcome<R extends string> = { ok: true; hold: Hold } | { ok: false; reason: R; hold?: Hold };

/**
 * Existing holds an operation changed (ended, committed, extended), for the object to write back.
 * New holds are not here: the reserve that creates one returns it, and the object inserts it.
 */
export interface Touched {
  holds: Hold[];
}

export const available = (l: Ledger): number => l.terms.stock - l.held - l.sold;
/** The units a live hold keeps off sale: all of a buyer's hold, what is left of an allotment. */
export const liveUnits = (hold: Hold): number => hold.quantity - hold.consumed;
/** Only buyers' own holds count toward per-buyer limits. */
export const countsForBuyer = (hold: Hold): boolean => hold.kind === "hold";

export function newLedger(terms: DropTerms, archive: HoldArchive): Ledger {
  const expiries = new Heap<Expiry>((a, b) => a.at - b.at);
  return { terms, held: 0, sold: 0, live: new Map(), expiries, buyers: new Map(), archive };
}

/**
 * A hold as it stands at `now`: live, ended by this very operation (not yet archived), or archived; a
 * hold past its retention (retention.ts) is gone, purged or not.
 */
export function find(l: Ledger, id: string, touched: Touched, now: number): Hold | undefined {
  const hold = l.live.get(id) ?? touched.holds.findLast((h) => h.id === id) ?? l.archive.get(id);
  return hold && remembered(hold, now) ? hold : undefined;
}

/** A buyer whose total falls to zero leaves the map: one-off anonymous buyers must not pile up in memory. */
function addToBuyer(l: Ledger, hold: Hold, delta: number): void {
  if (!countsForBuyer(hold)) return;
  const total = (l.buyers.get(hold.buyer) ?? 0) + delta;
  if (total === 0) l.buyers.delete(hold.buyer);
  else l.buyers.set(hold.buyer, total);
}

/** A live hold ends (released or expired): its units go back to available, and off the buyer's total. */
function endHold(l: Ledger, hold: Hold, state: "released" | "expired", touched: Touched): Hold {
  const ended = { ...hold, state };
  l.live.delete(hold.id);
  l.held -= liveUnits(hold);
  addToBuyer(l, hold, -hold.quantity);
  touched.holds.push(ended);
  return ended;
}

/** Adds (or replaces, when extended) a live hold, and queues its expiry. */
export function putLive(l: Ledger, hold: Hold): void {
  l.live.set(hold.id, hold);
  l.expiries.push({ at: hold.expiresAt, id: hold.id });
}

/** Whether a queued expiry still describes a live hold (not one that ended, or was extended since). */
const current = (l: Ledger, e: Expiry): Hold | undefined => {
  const hold = l.live.get(e.id);
  return hold?.expiresAt === e.at ? hold : undefined;
};

/** Expires every live hold whose time is up. Idempotent: a second call at the same time does nothing. */
export function expireDue(l: Ledger, now: number, touched: Touched): Hold[] {
  const expired: Hold[] = [];
  for (let next = l.expiries.peek(); next !== undefined && next.at <= now; next = l.expiries.peek()) {
    l.expiries.pop();
    const hold = current(l, next);
    if (hold) expired.push(endHold(l, hold, "expired", touched));
  }
  return expired;
}

export interface ReserveRequest {
  holdId: string;
  buyer: string;
  quantity: number;
  /** Take fewer units than asked rather than none. */
  allowPartial: boolean;
  now: number;
}

export function reserve(
  l: Ledger,
  req: ReserveRequest,
  touched: Touched,
): Outcome<ReserveRefusal> & { available: number } {
  expireDue(l, req.now, touched);
  const refuse = (reason: ReserveRefusal) => ({ ok: false as const, reason, available: available(l) });
  const { terms } = l;
  const shut = notSelling(terms, req.now);
  if (shut) return refuse(shut);
  const left = available(l);
  if (left === 0) return refuse("sold_out");
  const buyerRoom =
    terms.perBuyerLimit === null
      ? Number.POSITIVE_INFINITY
      : terms.perBuyerLimit - (l.buyers.get(req.buyer) ?? 0);
  if (buyerRoom <= 0 || (buyerRoom < req.quantity && !req.allowPartial)) return refuse("buyer_limit_reached");
  if (left < req.quantity && !req.allowPartial) return refuse("insufficient");
  const hold = newHold({
    id: req.holdId,
    kind: "hold",
    buyer: req.buyer,
    quantity: Math.min(req.quantity, left, buyerRoom),
    createdAt: req.now,
    expiresAt: req.now + terms.holdTtlMs,
  });
  holdUnits(l, hold);
  return { ok: true, hold, available: available(l) };
}

/** A new hold: live unless said otherwise, never extended, restocked or drawn down. */
export const newHold = (
  h: Pick<Hold, "id" | "kind" | "buyer" | "quantity" | "createdAt" | "expiresAt"> &
    Partial<Pick<Hold, "state" | "orderRef">>,
): Hold => ({ state: "held", orderRef: null, extended: false, restocked: false, consumed: 0, ...h });

/** Puts a new live hold's units on the books. */
export function holdUnits(l: Ledger, hold: Hold): void {
  putLive(l, hold);
  l.held += hold.quantity;
  addToBuyer(l, hold, hold.quantity);
}

/**
 * Why a hold that is not live cannot be committed, released or extended. Commit and extend act on
 * buyers' holds only (`kinds`): to them an allotment or a sale does not exist.
 */
function notLive(
  l: Ledger,
  id: string,
  now: number,
  touched: Touched,
  kinds: HoldKind[] = ["hold"],
): Outcome<HoldRefusal> | Hold {
  expireDue(l, now, touched);
  const hold = find(l, id, touched, now);
  if (hold === undefined || !kinds.includes(hold.kind)) return { ok: false, reason: "hold_not_found" };
  if (hold.state === "held") return hold;
  const reason = {
    committed: "already_committed",
    released: "hold_released",
    expired: "hold_expired",
  } as const;
  return { ok: false, reason: reason[hold.state], hold };
}

/** Sells a live hold's units, once. Committing again for the same order returns the same hold. */
export function commit(
  l: Ledger,
  req: { holdId: string; orderRef: string; now: number },
  touched: Touched,
): Outcome<HoldRefusal> {
  const hold = notLive(l, req.holdId, req.now, touched);
  if (!("id" in hold)) {
    if (hold.hold?.state === "committed" && hold.hold.orderRef === req.orderRef)
      return { ok: true, hold: hold.hold };
    return hold;
  }
  const committed: Hold = { ...hold, state: "committed", orderRef: req.orderRef };
  l.live.delete(hold.id);
  l.held -= hold.quantity;
  l.sold += hold.quantity;
  touched.holds.push(committed);
  return { ok: true, hold: committed };
}

/**
 * A refunded order's units go back on sale (the drop's restock-on-refund policy): the committed hold
 * stops counting as sold and against its buyer. Once per hold; a repeat returns it unchanged.
 */
export function restock(
  l: Ledger,
  req: { holdId: string; orderRef: string; now: number },
  touched: Touched,
): Outcome<HoldRefusal> {
  expireDue(l, req.now, touched);
  const hold = find(l, req.holdId, touched, req.now);
  if (hold === undefined) return { ok: false, reason: "hold_not_found" };
  if (hold.state !== "committed" || hold.orderRef !== req.orderRef)
    return { ok: false, reason: "not_committed", hold };
  if (hold.restocked) return { ok: true, hold };
  const restocked: Hold = { ...hold, restocked: true };
  l.sold -= hold.quantity;
  addToBuyer(l, hold, -hold.quantity);
  touched.holds.push(restocked);
  return { ok: true, hold: restocked };
}

/**
 * Gives a live hold's units back (an allotment's unconsumed ones). Releasing a hold that already ended
 * returns it as it ended.
 */
export function release(
  l: Ledger,
  req: { holdId: string; now: number },
  touched: Touched,
): Outcome<HoldRefusal> {
  const hold = notLive(l, req.holdId, req.now, touched, ["hold", "allotment"]);
  if (!("id" in hold)) {
    if (hold.hold && (hold.hold.state === "released" || hold.hold.state === "expired")) {
      return { ok: true, hold: hold.hold };
    }
    return hold;
  }
  return { ok: true, hold: endHold(l, hold, "released", touched) };
}

/** Once per hold, while a payment is processing: a fresh hold TTL from now. */
export function extend(
  l: Ledger,
  req: { holdId: string; now: number },
  touched: Touched,
): Outcome<HoldRefusal> {
  const hold = notLive(l, req.holdId, req.now, touched);
  if (!("id" in hold)) return hold;
  if (hold.extended) return { ok: false, reason: "extension_used", hold };
  const extended: Hold = { ...hold, expiresAt: req.now + l.terms.holdTtlMs, extended: true };
  putLive(l, extended);
  touched.holds.push(extended);
  return { ok: true, hold: extended };
}

/** Stock may grow freely, and shrink only down to what is held or sold. */
export function setStock(
  l: Ledger,
  stock: number,
): { ok: true } | { ok: false; reason: StockRefusal; minimum: number } {
  const minimum = l.held + l.sold;
  if (stock < minimum) return { ok: false, reason: "below_committed", minimum };
  l.terms = { ...l.terms, stock };
  return { ok: true };
}

/**
 * The earliest moment a live hold expires: when the alarm must fire. Stale entries on top of the heap
 * (holds that ended or were extended) are dropped on the way, so this costs O(log n) amortised.
 */
export function nextExpiry(l: Ledger): number | null {
  for (let next = l.expiries.peek(); next !== undefined; next = l.expiries.peek()) {
    if (current(l, next)) return next.at;
    l.expiries.pop();
  }
  return null;
}

/**
 * Rebuilds the expiry heap from the live holds once stale entries outnumber them (by `slack`): a
 * released hold's entry would otherwise stay in memory until its expiry time, so churn behind one
 * long-lived hold could pile them up. Amortised O(1) per entry.
 */
export function compactExpiries(l: Ledger, slack = 64): void {
  if (l.expiries.size() <= 2 * l.live.size + slack) return;
  l.expiries = new Heap<Expiry>((a, b) => a.at - b.at);
  for (const hold of l.live.values()) l.expiries.push({ at: hold.expiresAt, id: hold.id });
}
