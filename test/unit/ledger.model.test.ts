import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { claim, consume } from "../../src/inventory/allotments";
import { ledgerViolations } from "../../src/inventory/invariants";
import {
  available,
  commit,
  compactExpiries,
  type DropTerms,
  expireDue,
  extend,
  type Hold,
  type Ledger,
  newLedger,
  nextExpiry,
  release,
  reserve,
  restock,
  type Touched,
} from "../../src/inventory/ledger";

/**
 * A reference model written as plainly as possible: one list of holds (of every kind) and a clock.
 * Every command runs against the model and the real ledger; their answers must agree and the ledger's
 * invariants hold after every step. fast-check prints the seed and the shrunk command list on failure.
 *
 * Kinds: a buyer's `hold`; a point-of-sale device's `allotment`, which offline sales draw down
 * (`consumed`) while it stays live; and each such `pos_sale`, committed from birth. A sale's `buyer`
 * records where its units came from: the allotment's id, or "stock" when that allotment had ended.
 *
 * Retention: a buyer's hold that ended is forgotten a day past its expiry time, and from then on reads
 * as never made, whether or not the purge (the alarm) has deleted it yet. Committed holds, sales and
 * allotments are kept. The clock jumps by about a day now and then so that forgetting comes up often.
 */
interface ModelHold {
  id: string;
  kind: Hold["kind"];
  buyer: string;
  quantity: number;
  /** Allotments only: units sold from it. They count as sold (through the sale), no longer as held. */
  consumed: number;
  expiresAt: number;
  state: Hold["state"];
  order: string | null;
  extended: boolean;
  /** Refunded with the drop's restock policy: its units are back on sale. */
  restocked: boolean;
}
interface Model {
  terms: DropTerms;
  now: number;
  holds: ModelHold[];
}
interface Real {
  ledger: Ledger;
  archive: Map<string, Hold>;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Written out plainly here rather than imported: the model is the reference for retention.ts. */
const forgotten = (h: ModelHold, now: number) =>
  h.kind === "hold" && (h.state === "released" || h.state === "expired") && now >= h.expiresAt + DAY_MS;

const expireModel = (m: Model) => {
  for (const h of m.holds) if (h.state === "held" && h.expiresAt <= m.now) h.state = "expired";
};
/**
 * One ledger operation as the object runs it, then its write-back in miniature: holds no longer live
 * move to the archive, and the expiry heap is kept compact as the object's alarm scheduling does. The
 * model first expires whatever is due, as every ledger operation does.
 */
function step<T>(m: Model, real: Real, op: (touched: Touched) => T): T {
  expireModel(m);
  const touched: Touched = { holds: [] };
  const got = op(touched);
  for (const hold of touched.holds) if (hold.state !== "held") real.archive.set(hold.id, hold);
  // No slack, unlike the object, so that short runs rebuild the heap too.
  compactExpiries(real.ledger, 0);
  nextExpiry(real.ledger);
  return got;
}
const sum = (m: Model, count: (h: ModelHold) => number) => m.holds.reduce((n, h) => n + count(h), 0);
const isSold = (h: ModelHold) => h.state === "committed" && !h.restocked;
/** Units kept off sale by live holds: all of a buyer's hold, what is left of an allotment. */
const held = (m: Model) => sum(m, (h) => (h.state === "held" ? h.quantity - h.consumed : 0));
/** Units sold: committed holds and sales, unless restocked. */
const sold = (m: Model) => sum(m, (h) => (isSold(h) ? h.quantity : 0));
const left = (m: Model) => m.terms.stock - held(m) - sold(m);
/** Buyers' totals toward the per-buyer limit: their own holds, live or sold (no allotments, no sales). */
function buyerTotals(m: Model): Map<string, number> {
  const totals = new Map<string, number>();
  for (const h of m.holds)
    if (h.kind === "hold" && (h.state === "held" || isSold(h)))
      totals.set(h.buyer, (totals.get(h.buyer) ?? 0) + h.quantity);
  return totals;
}
const nonZero = (totals: Map<string, number>) => Object.fromEntries([...totals].filter(([, n]) => n !== 0));

function checkAgreement(m: Model, real: Real) {
  const l = real.ledger;
  expect(ledgerViolations(l)).toEqual([]);
  expect({ held: l.held, sold: l.sold, available: available(l) }).toEqual({
    held: held(m),
    sold: sold(m),
    available: left(m),
  });
  // Every buyer's total, and no one else's: a device has none (it is not a buyer), and a buyer whose
  // total fell to zero is not kept in memory.
  expect(Object.fromEntries(l.buyers)).toEqual(nonZero(buyerTotals(m)));
  // Memory stays bounded by what is live: stale expiry entries never pile up.
  expect(l.expiries.size()).toBeLessThanOrEqual(2 * l.live.size);
}

type NewHold = Pick<ModelHold, "id" | "kind" | "buyer" | "quantity" | "expiresAt"> & Partial<ModelHold>;
const untouched = { consumed: 0, state: "held", order: null, extended: false, restocked: false } as const;
/** Adds a hold to the model: live and untouched, unless `fields` say otherwise. */
function addHold(m: Model, fields: NewHold): ModelHold {
  const hold: ModelHold = { ...untouched, ...fields };
  m.holds.push(hold);
  return hold;
}
/** A model hold as the ledger spells it (every field but `createdAt`), to match answers against. */
const wire = ({ order, ...fields }: ModelHold) => ({ ...fields, orderRef: order });

/** Why a reserve or claim is refused before any limit of its own: not on sale, or nothing left. */
function notOnSale(m: Model): string | null {
  if (m.now < m.terms.startsAt) return "not_started";
  if (m.terms.closed || (m.terms.endsAt !== null && m.now >= m.terms.endsAt)) return "ended";
  return left(m) === 0 ? "sold_out" : null;
}

/** Either the refusal, or a new live hold (then also added to the model) in a successful answer. */
function expectNewHold(m: Model, got: unknown, refusal: string | null, hold: NewHold) {
  if (refusal !== null) expect(got).toMatchObject({ ok: false, reason: refusal });
  else expect(got).toMatchObject({ ok: true, hold: wire(addHold(m, hold)) });
}

class Reserve implements fc.Command<Model, Real> {
  constructor(
    readonly buyer: string,
    readonly quantity: number,
    readonly allowPartial: boolean,
  ) {}
  check = () => true;
  run(m: Model, real: Real) {
    const { buyer, quantity, allowPartial } = this;
    const id = `h${m.holds.length}`;
    const req = { holdId: id, buyer, quantity, allowPartial, now: m.now };
    const got = step(m, real, (touched) => reserve(real.ledger, req, touched));
    const { perBuyerLimit, holdTtlMs } = m.terms;
    const room = perBuyerLimit === null ? Infinity : perBuyerLimit - (buyerTotals(m).get(buyer) ?? 0);
    let refusal = notOnSale(m);
    if (!refusal && (room <= 0 || (room < quantity && !allowPartial))) refusal = "buyer_limit_reached";
    if (!refusal && left(m) < quantity && !allowPartial) refusal = "insufficient";
    const hold = { id, kind: "hold", buyer, quantity: Math.min(quantity, left(m), room) } as const;
    expectNewHold(m, got, refusal, { ...hold, expiresAt: m.now + holdTtlMs });
    checkAgreement(m, real);
  }
  toString = () => `reserve(${this.buyer}, ${this.quantity}${this.allowPartial ? ", partial" : ""})`;
}

/** A device claims units for offline sales: like a reserve, with its own TTL and no buyer limit. */
class Claim implements fc.Command<Model, Real> {
  constructor(
    readonly device: string,
    readonly quantity: number,
    readonly allowPartial: boolean,
    readonly ttlMs: number,
  ) {}
  check = () => true;
  run(m: Model, real: Real) {
    const { device, quantity, allowPartial, ttlMs } = this;
    const id = `h${m.holds.length}`;
    const req = { allotmentId: id, buyer: device, quantity, allowPartial, ttlMs, now: m.now };
    const got = step(m, real, (touched) => claim(real.ledger, req, touched));
    let refusal = notOnSale(m);
    if (!refusal && left(m) < quantity && !allowPartial) refusal = "insufficient";
    const hold = { id, kind: "allotment", buyer: device, quantity: Math.min(quantity, left(m)) } as const;
    expectNewHold(m, got, refusal, { ...hold, expiresAt: m.now + ttlMs });
    checkAgreement(m, real);
  }
  toString = () =>
    `claim(${this.device}, ${this.quantity}${this.allowPartial ? ", partial" : ""}, ${this.ttlMs}ms)`;
}

/**
 * An offline sale lands at sync. Its id comes from a small set, so replays are common: naming another
 * allotment, or after the allotment ended. "h0" is the first hold's id, which no sale may take.
 */
class Consume implements fc.Command<Model, Real> {
  constructor(
    readonly index: number,
    readonly sale: string,
    readonly quantity: number,
    readonly order: string,
  ) {}
  check = (m: Readonly<Model>) => m.holds.length > 0;
  run(m: Model, real: Real) {
    // The named allotment: mostly one of them; with index >= 16 (or none yet) any hold, maybe no allotment.
    const allotments = m.holds.filter((h) => h.kind === "allotment");
    const pool = this.index < 16 && allotments.length > 0 ? allotments : m.holds;
    const named = pool[this.index % pool.length] as ModelHold;
    const req = { allotmentId: named.id, saleId: this.sale, orderRef: this.order, quantity: this.quantity };
    const got = step(m, real, (touched) => consume(real.ledger, { ...req, now: m.now }, touched));
    // The object inserts a new sale into storage at once, so a later find() meets it in the archive.
    if (got.ok && !got.replayed) real.archive.set(got.sale.id, got.sale);

    const from = (sale: ModelHold) => (sale.buyer === "stock" ? "stock" : "allotment");
    const expectSale = (sale: ModelHold, replayed: boolean) =>
      expect(got).toEqual({
        ok: true,
        sale: expect.objectContaining(wire(sale)),
        from: from(sale),
        replayed,
      });
    const sell = (source: string) => {
      const sale = { id: this.sale, kind: "pos_sale", buyer: source, quantity: this.quantity } as const;
      expectSale(addHold(m, { ...sale, expiresAt: m.now, state: "committed", order: this.order }), false);
    };
    const before = m.holds.find((h) => h.id === this.sale && !forgotten(h, m.now));
    if (before?.kind === "pos_sale") {
      expectSale(before, true); // the sale it made, as it stands now, whatever this request says
    } else if (before !== undefined || named.kind !== "allotment") {
      expect(got).toEqual({ ok: false, reason: "allotment_not_found" });
    } else if (named.state === "held") {
      if (named.quantity - named.consumed < this.quantity) {
        expect(got).toEqual({ ok: false, reason: "allotment_exceeded" });
      } else {
        named.consumed += this.quantity;
        sell(named.id);
      }
    } else if (left(m) < this.quantity) {
      expect(got).toEqual({ ok: false, reason: "sold_out" }); // ended: only open stock can cover it now
    } else {
      sell("stock");
    }
    checkAgreement(m, real);
  }
  toString = () => `consume(#${this.index}, ${this.sale}, ${this.quantity}, ${this.order})`;
}

/** Commands that act on an existing hold (of any kind) pick it by index, so shrinking keeps them meaningful. */
abstract class OnHold implements fc.Command<Model, Real> {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => m.holds.length > 0;
  /** The hold by the picked one's id as it stands now (a sale may since have taken a forgotten hold's id). */
  protected target(m: Model): ModelHold {
    const picked = m.holds[this.index % m.holds.length];
    if (!picked) throw new Error("check() guarantees a hold");
    return m.holds.find((h) => h.id === picked.id && !forgotten(h, m.now)) ?? picked;
  }
  abstract run(m: Model, real: Real): void;
}

/** Commit and restock name the order too. */
abstract class OnHoldForOrder extends OnHold {
  constructor(
    index: number,
    readonly order: string,
  ) {
    super(index);
  }
}

const refusalFor = {
  committed: "already_committed",
  released: "hold_released",
  expired: "hold_expired",
} as const;

/** Commit acts on buyers' holds only: to it an allotment or a sale does not exist. */
class Commit extends OnHoldForOrder {
  override run(m: Model, real: Real) {
    const hold = this.target(m);
    const req = { holdId: hold.id, orderRef: this.order, now: m.now };
    const got = step(m, real, (touched) => commit(real.ledger, req, touched));
    if (hold.kind !== "hold" || forgotten(hold, m.now))
      expect(got).toEqual({ ok: false, reason: "hold_not_found" });
    else if (hold.state === "held") {
      hold.state = "committed";
      hold.order = this.order;
      expect(got).toMatchObject({ ok: true, hold: wire(hold) });
    } else if (hold.state === "committed" && hold.order === this.order) {
      expect(got).toMatchObject({ ok: true, hold: wire(hold) }); // the same commit, replayed
    } else {
      expect(got).toMatchObject({ ok: false, reason: refusalFor[hold.state] });
    }
    checkAgreement(m, real);
  }
  override toString = () => `commit(#${this.index}, ${this.order})`;
}

/** Gives back a hold's units, or an allotment's unconsumed ones. A sale cannot be released. */
class Release extends OnHold {
  override run(m: Model, real: Real) {
    const hold = this.target(m);
    const got = step(m, real, (touched) => release(real.ledger, { holdId: hold.id, now: m.now }, touched));
    if (hold.kind === "pos_sale" || forgotten(hold, m.now))
      expect(got).toEqual({ ok: false, reason: "hold_not_found" });
    else if (hold.state === "committed")
      expect(got).toMatchObject({ ok: false, reason: "already_committed" });
    else {
      if (hold.state === "held") hold.state = "released";
      expect(got).toMatchObject({ ok: true, hold: wire(hold) }); // one that had ended: as it ended
    }
    checkAgreement(m, real);
  }
  override toString = () => `release(#${this.index})`;
}

/** Extend, like commit, acts on buyers' holds only. */
class Extend extends OnHold {
  override run(m: Model, real: Real) {
    const hold = this.target(m);
    const got = step(m, real, (touched) => extend(real.ledger, { holdId: hold.id, now: m.now }, touched));
    if (hold.kind !== "hold" || forgotten(hold, m.now))
      expect(got).toEqual({ ok: false, reason: "hold_not_found" });
    else if (hold.state !== "held") expect(got).toMatchObject({ ok: false, reason: refusalFor[hold.state] });
    else if (hold.extended) expect(got).toMatchObject({ ok: false, reason: "extension_used" });
    else {
      hold.extended = true;
      hold.expiresAt = m.now + m.terms.holdTtlMs;
      expect(got).toMatchObject({ ok: true, hold: wire(hold) });
    }
    checkAgreement(m, real);
  }
  override toString = () => `extend(#${this.index})`;
}

/** A refunded order's units go back on sale, once: any committed hold (a sale too), for its own order. */
class Restock extends OnHoldForOrder {
  override run(m: Model, real: Real) {
    const hold = this.target(m);
    const req = { holdId: hold.id, orderRef: this.order, now: m.now };
    const got = step(m, real, (touched) => restock(real.ledger, req, touched));
    if (forgotten(hold, m.now)) {
      expect(got).toEqual({ ok: false, reason: "hold_not_found" });
    } else if (hold.state === "committed" && hold.order === this.order) {
      hold.restocked = true;
      expect(got).toMatchObject({ ok: true, hold: wire(hold) });
    } else {
      expect(got).toMatchObject({ ok: false, reason: "not_committed" });
    }
    checkAgreement(m, real);
  }
  override toString = () => `restock(#${this.index}, ${this.order})`;
}

/** The alarm: may fire late, early or twice; only due holds and allotments expire. */
class Expire implements fc.Command<Model, Real> {
  check = () => true;
  run(m: Model, real: Real) {
    step(m, real, (touched) => expireDue(real.ledger, m.now, touched));
    checkAgreement(m, real);
  }
  toString = () => "alarm()";
}

/**
 * The alarm's purge: the store deletes what is forgotten (its SQL, in miniature). What remains is
 * exactly what the model still remembers: every sale, allotment and committed hold, and the ended holds
 * of the last day; nothing the ledger still needs is gone.
 */
class Purge implements fc.Command<Model, Real> {
  check = () => true;
  run(m: Model, real: Real) {
    step(m, real, (touched) => expireDue(real.ledger, m.now, touched));
    for (const [id, h] of real.archive) {
      const ended = h.kind === "hold" && (h.state === "released" || h.state === "expired");
      if (ended && h.expiresAt <= m.now - DAY_MS) real.archive.delete(id);
    }
    const kept = m.holds.filter((h) => h.state !== "held" && !forgotten(h, m.now)).map((h) => h.id);
    expect([...real.archive.keys()].sort()).toEqual([...new Set(kept)].sort());
    checkAgreement(m, real);
  }
  toString = () => "purge()";
}

/** The creator changes the hold TTL mid-drop: new holds may now expire before older ones. */
class SetTtl implements fc.Command<Model, Real> {
  constructor(readonly ms: number) {}
  check = () => true;
  run(m: Model, real: Real) {
    m.terms.holdTtlMs = this.ms;
    real.ledger.terms = { ...real.ledger.terms, holdTtlMs: this.ms };
    checkAgreement(m, real);
  }
  toString = () => `setTtl(${this.ms}ms)`;
}

class Advance implements fc.Command<Model, Real> {
  constructor(readonly ms: number) {}
  check = () => true;
  run(m: Model) {
    m.now += this.ms;
  }
  toString = () => `advance(${this.ms}ms)`;
}

const termsArb = fc.record({
  stock: fc.integer({ min: 0, max: 12 }),
  startsAt: fc.constantFrom(0, 100_000),
  endsAt: fc.constantFrom(null, 1_200_000),
  perBuyerLimit: fc.option(fc.integer({ min: 1, max: 4 }), { nil: null }),
  holdTtlMs: fc.constant(300_000),
  closed: fc.constant(false),
});
const order = fc.constantFrom("order-1", "order-2");
const anyHold = fc.nat(20);
const reserves = fc
  .tuple(fc.constantFrom("ann", "bo", "cy"), fc.integer({ min: 1, max: 4 }), fc.boolean())
  .map(([b, q, p]) => new Reserve(b, q, p));
const devices = fc.constantFrom("pos:d1", "pos:d2");
const claims = fc
  .tuple(devices, fc.integer({ min: 1, max: 6 }), fc.boolean(), fc.constantFrom(300_000, 3_600_000))
  .map(([d, q, p, ttl]) => new Claim(d, q, p, ttl));
const consumes = fc
  .tuple(fc.nat(19), fc.constantFrom("s1", "s2", "s3", "s4", "h0"), fc.integer({ min: 1, max: 4 }), order)
  .map(([i, s, q, o]) => new Consume(i, s, q, o));
const commits = fc.tuple(anyHold, order).map(([i, o]) => new Commit(i, o));
const restocks = fc.tuple(anyHold, order).map(([i, o]) => new Restock(i, o));
const advances = fc.integer({ min: 0, max: 400_000 }).map((ms) => new Advance(ms));
/** About a day, either side of the moment ended holds are forgotten. */
const longAdvances = fc
  .integer({ min: DAY_MS - 400_000, max: DAY_MS + 400_000 })
  .map((ms) => new Advance(ms));
const ttlChanges = fc.constantFrom(30_000, 300_000, 600_000).map((ms) => new SetTtl(ms));
/** Weighted so that allotments, their sales and replays of those sales come up in most runs. */
const command: fc.Arbitrary<fc.Command<Model, Real>> = fc.oneof(
  { weight: 3, arbitrary: reserves },
  { weight: 3, arbitrary: claims },
  { weight: 5, arbitrary: consumes },
  { weight: 2, arbitrary: commits },
  { weight: 2, arbitrary: anyHold.map((i) => new Release(i)) },
  { weight: 1, arbitrary: anyHold.map((i) => new Extend(i)) },
  { weight: 2, arbitrary: restocks },
  { weight: 1, arbitrary: fc.constant(new Expire()) },
  { weight: 3, arbitrary: advances },
  { weight: 1, arbitrary: longAdvances },
  { weight: 1, arbitrary: fc.constant(new Purge()) },
  { weight: 1, arbitrary: ttlChanges },
);
// size "max": runs of up to 60 commands, long enough for allotments to be drawn down, expire and replay.
const commands = fc.commands([command], { maxCommands: 60, size: "max" });

describe("the inventory ledger against a reference model", () => {
  it("agrees with the model and keeps every invariant over random command sequences", () => {
    fc.assert(
      fc.property(termsArb, commands, (terms, cmds) => {
        const archive = new Map<string, Hold>();
        const setup = () => ({
          model: { terms: { ...terms }, now: 0, holds: [] } satisfies Model,
          real: { ledger: newLedger({ ...terms }, archive), archive } satisfies Real,
        });
        fc.modelRun(setup, cmds);
      }),
      { numRuns: 1000 },
    );
  }, 60_000);
});
