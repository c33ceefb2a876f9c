/**
 * Point-of-sale allotments, as pure ledger operations. While online, a device claims units of a drop:
 * they leave available stock like a long hold. Offline, its sales draw the allotment down; at sync each
 * sale is consumed once (keyed by a sale id derived from the item's client id, so a replay, from any
 * device, finds the sale it already made). Unused units return when the allotment is released or expires.
 */
import {
  available,
  expireDue,
  find,
  type Hold,
  holdUnits,
  type Ledger,
  liveUnits,
  newHold,
  type ReserveRefusal,
  type Touched,
} from "./ledger";
import { notSelling } from "./phase";

export interface ClaimRequest {
  allotmentId: string;
  /** `pos:<device id>`: whose allotment it is (a device is not a buyer; no per-buyer limit applies). */
  buyer: string;
  quantity: number;
  /** Take fewer units than asked rather than none. */
  allowPartial: boolean;
  ttlMs: number;
  now: number;
}

export type ClaimRefusal = Exclude<ReserveRefusal, "buyer_limit_reached">;

export function claim(
  l: Ledger,
  req: ClaimRequest,
  touched: Touched,
): { ok: true; hold: Hold } | { ok: false; reason: ClaimRefusal } {
  expireDue(l, req.now, touched);
  const shut = notSelling(l.terms, req.now);
  if (shut) return { ok: false, reason: shut };
  const left = available(l);
  if (left === 0) return { ok: false, reason: "sold_out" };
  if (left < req.quantity && !req.allowPartial) return { ok: false, reason: "insufficient" };
  const hold = newHold({
    id: req.allotmentId,
    kind: "allotment",
    buyer: req.buyer,
    quantity: Math.min(req.quantity, left),
    createdAt: req.now,
    expiresAt: req.now + req.ttlMs,
  });
  holdUnits(l, hold);
  return { ok: true, hold };
}

export interface ConsumeRequest {
  allotmentId: string;
  /** The sale's own id, derived from the item's client id: one sale per id, whichever allotment. */
  saleId: string;
  orderRef: string;
  quantity: number;
  now: number;
}

/**
 * `allotment_exceeded`: the allotment is live but has fewer units left than the sale.
 * `sold_out`: the allotment had already ended (released or expired; its units went back on sale) and
 * the drop has too few units left to cover the sale from open stock.
 */
export type ConsumeRefusal = "allotment_not_found" | "allotment_exceeded" | "sold_out";
export type ConsumeOutcome =
  | { ok: true; sale: Hold; from: "allotment" | "stock"; replayed: boolean }
  | { ok: false; reason: ConsumeRefusal };

/**
 * Sells `quantity` units to an offline sale, once. From the live allotment while it lasts; once it has
 * ended, from whatever stock is left (the sale was made while the allotment held the units, so it is
 * honoured if the drop can still cover it). A sale id seen before answers the sale it made.
 */
/** A sale made before, answered again: its units came from its allotment, or from open stock. */
export const replayOf = (sale: Hold): ConsumeOutcome => ({
  ok: true,
  sale,
  from: sale.buyer === "stock" ? "stock" : "allotment",
  replayed: true,
});

export function consume(l: Ledger, req: ConsumeRequest, touched: Touched): ConsumeOutcome {
  expireDue(l, req.now, touched);
  const made = find(l, req.saleId, touched, req.now);
  if (made !== undefined)
    return made.kind === "pos_sale" ? replayOf(made) : { ok: false, reason: "allotment_not_found" };
  const allotment = find(l, req.allotmentId, touched, req.now);
  if (allotment === undefined || allotment.kind !== "allotment")
    return { ok: false, reason: "allotment_not_found" };
  const fromAllotment = allotment.state === "held";
  if (fromAllotment && liveUnits(allotment) < req.quantity)
    return { ok: false, reason: "allotment_exceeded" };
  if (!fromAllotment && available(l) < req.quantity) return { ok: false, reason: "sold_out" };
  if (fromAllotment) {
    const drawn: Hold = { ...allotment, consumed: allotment.consumed + req.quantity };
    l.live.set(drawn.id, drawn);
    l.held -= req.quantity;
    touched.holds.push(drawn);
  }
  l.sold += req.quantity;
  const sale = newHold({
    id: req.saleId,
    kind: "pos_sale",
    // A sale records where its units came from: the allotment's id, or the open stock.
    buyer: fromAllotment ? req.allotmentId : "stock",
    quantity: req.quantity,
    createdAt: req.now,
    expiresAt: req.now,
    state: "committed",
    orderRef: req.orderRef,
  });
  return { ok: true, sale, from: fromAllotment ? "allotment" : "stock", replayed: false };
}
