import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  available,
  commit,
  type DropTerms,
  expireDue,
  extend,
  type Hold,
  type Ledger,
  ledgerViolations,
  newLedger,
  release,
  reserve,
  restock,
  type Touched,
} from "../../src/inventory/ledger";

/**
 * A reference model written as plainly as possible: a list of holds and a clock. Every command runs
 * against the model and the real ledger; their answers must agree and the ledger's invariants hold
 * after every step. fast-check prints the seed and the shrunk command list on failure.
 */
interface ModelHold {
  id: string;
  buyer: string;
  quantity: number;
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

const fresh = (): Touched => ({ holds: [] });
/** The object's write-back, in miniature: ended holds move to the archive. */
function settle(real: Real, touched: Touched) {
  for (const hold of touched.holds) if (hold.state !== "held") real.archive.set(hold.id, hold);
}

const expireModel = (m: Model) => {
  for (const h of m.holds) if (h.state === "held" && h.expiresAt <= m.now) h.state = "expired";
};
/** Units in these states (a restocked hold's units count nowhere: they are back on sale). */
const units = (m: Model, states: Hold["state"][], buyer?: string) =>
  m.holds
    .filter((h) => states.includes(h.state) && !h.restocked && (buyer === undefined || h.buyer === buyer))
    .reduce((n, h) => n + h.quantity, 0);

function checkAgreement(m: Model, real: Real) {
  expect(ledgerViolations(real.ledger)).toEqual([]);
  expect(real.ledger.held).toBe(units(m, ["held"]));
  expect(real.ledger.sold).toBe(units(m, ["committed"]));
  expect(available(real.ledger)).toBe(m.terms.stock - units(m, ["held", "committed"]));
  expect(available(real.ledger) + real.ledger.held + real.ledger.sold).toBe(m.terms.stock);
}

class Reserve implements fc.Command<Model, Real> {
  constructor(
    readonly buyer: string,
    readonly quantity: number,
    readonly allowPartial: boolean,
  ) {}
  check = () => true;
  run(m: Model, real: Real) {
    expireModel(m);
    const id = `h${m.holds.length}`;
    const touched = fresh();
    const got = reserve(
      real.ledger,
      { holdId: id, buyer: this.buyer, quantity: this.quantity, allowPartial: this.allowPartial, now: m.now },
      touched,
    );
    settle(real, touched);
    const left = m.terms.stock - units(m, ["held", "committed"]);
    const room =
      m.terms.perBuyerLimit === null
        ? Infinity
        : m.terms.perBuyerLimit - units(m, ["held", "committed"], this.buyer);
    let expected: string | number;
    if (m.now < m.terms.startsAt) expected = "not_started";
    else if (m.terms.closed || (m.terms.endsAt !== null && m.now >= m.terms.endsAt)) expected = "ended";
    else if (left === 0) expected = "sold_out";
    else if (room <= 0 || (room < this.quantity && !this.allowPartial)) expected = "buyer_limit_reached";
    else if (left < this.quantity && !this.allowPartial) expected = "insufficient";
    else expected = Math.min(this.quantity, left, room);
    if (typeof expected === "number") {
      expect(got).toMatchObject({ ok: true, hold: { quantity: expected, state: "held" } });
      m.holds.push({
        id,
        buyer: this.buyer,
        quantity: expected,
        expiresAt: m.now + m.terms.holdTtlMs,
        state: "held",
        order: null,
        extended: false,
        restocked: false,
      });
    } else {
      expect(got).toMatchObject({ ok: false, reason: expected });
    }
    checkAgreement(m, real);
  }
  toString = () => `reserve(${this.buyer}, ${this.quantity}${this.allowPartial ? ", partial" : ""})`;
}

/** Commands that act on an existing hold pick it by index, so shrinking keeps them meaningful. */
abstract class OnHold implements fc.Command<Model, Real> {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => m.holds.length > 0;
  protected target(m: Model): ModelHold {
    const hold = m.holds[this.index % m.holds.length];
    if (!hold) throw new Error("check() guarantees a hold");
    return hold;
  }
  abstract run(m: Model, real: Real): void;
}

const refusalFor = {
  committed: "already_committed",
  released: "hold_released",
  expired: "hold_expired",
} as const;

class Commit extends OnHold {
  constructor(
    index: number,
    readonly order: string,
  ) {
    super(index);
  }
  override run(m: Model, real: Real) {
    expireModel(m);
    const hold = this.target(m);
    const touched = fresh();
    const got = commit(real.ledger, { holdId: hold.id, orderRef: this.order, now: m.now }, touched);
    settle(real, touched);
    if (hold.state === "held") {
      expect(got).toMatchObject({ ok: true, hold: { state: "committed", orderRef: this.order } });
      hold.state = "committed";
      hold.order = this.order;
    } else if (hold.state === "committed" && hold.order === this.order) {
      expect(got).toMatchObject({ ok: true, hold: { state: "committed" } }); // the same commit, replayed
    } else {
      expect(got).toMatchObject({ ok: false, reason: refusalFor[hold.state] });
    }
    checkAgreement(m, real);
  }
  override toString = () => `commit(#${this.index}, ${this.order})`;
}

class Release extends OnHold {
  override run(m: Model, real: Real) {
    expireModel(m);
    const hold = this.target(m);
    const touched = fresh();
    const got = release(real.ledger, { holdId: hold.id, now: m.now }, touched);
    settle(real, touched);
    if (hold.state === "held") hold.state = "released";
    if (hold.state === "committed") expect(got).toMatchObject({ ok: false, reason: "already_committed" });
    else expect(got).toMatchObject({ ok: true, hold: { state: hold.state } });
    checkAgreement(m, real);
  }
  override toString = () => `release(#${this.index})`;
}

class Extend extends OnHold {
  override run(m: Model, real: Real) {
    expireModel(m);
    const hold = this.target(m);
    const touched = fresh();
    const got = extend(real.ledger, { holdId: hold.id, now: m.now }, touched);
    settle(real, touched);
    if (hold.state !== "held") expect(got).toMatchObject({ ok: false, reason: refusalFor[hold.state] });
    else if (hold.extended) expect(got).toMatchObject({ ok: false, reason: "extension_used" });
    else {
      hold.extended = true;
      hold.expiresAt = m.now + m.terms.holdTtlMs;
      expect(got).toMatchObject({ ok: true, hold: { expiresAt: hold.expiresAt, extended: true } });
    }
    checkAgreement(m, real);
  }
  override toString = () => `extend(#${this.index})`;
}

/** A refunded order's units go back on sale, once; only a committed hold, for its own order. */
class Restock extends OnHold {
  constructor(
    index: number,
    readonly order: string,
  ) {
    super(index);
  }
  override run(m: Model, real: Real) {
    expireModel(m);
    const hold = this.target(m);
    const touched = fresh();
    const got = restock(real.ledger, { holdId: hold.id, orderRef: this.order, now: m.now }, touched);
    settle(real, touched);
    if (hold.state === "committed" && hold.order === this.order) {
      hold.restocked = true;
      expect(got).toMatchObject({ ok: true, hold: { state: "committed", restocked: true } });
    } else {
      expect(got).toMatchObject({ ok: false, reason: "not_committed" });
    }
    checkAgreement(m, real);
  }
  override toString = () => `restock(#${this.index}, ${this.order})`;
}

/** The alarm: may fire late, early or twice; only due holds expire. */
class Expire implements fc.Command<Model, Real> {
  check = () => true;
  run(m: Model, real: Real) {
    expireModel(m);
    const touched = fresh();
    expireDue(real.ledger, m.now, touched);
    settle(real, touched);
    checkAgreement(m, real);
  }
  toString = () => "alarm()";
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

const ttl = 300_000;
const termsArb = fc.record({
  stock: fc.integer({ min: 0, max: 12 }),
  startsAt: fc.constantFrom(0, 100_000),
  endsAt: fc.constantFrom(null, 1_200_000),
  perBuyerLimit: fc.option(fc.integer({ min: 1, max: 4 }), { nil: null }),
  holdTtlMs: fc.constant(ttl),
  closed: fc.constant(false),
});
const commands = fc.commands(
  [
    fc
      .tuple(fc.constantFrom("ann", "bo", "cy"), fc.integer({ min: 1, max: 4 }), fc.boolean())
      .map(([b, q, p]) => new Reserve(b, q, p)),
    fc.tuple(fc.nat(20), fc.constantFrom("order-1", "order-2")).map(([i, o]) => new Commit(i, o)),
    fc.nat(20).map((i) => new Release(i)),
    fc.nat(20).map((i) => new Extend(i)),
    fc.tuple(fc.nat(20), fc.constantFrom("order-1", "order-2")).map(([i, o]) => new Restock(i, o)),
    fc.constant(new Expire()),
    fc.integer({ min: 0, max: 400_000 }).map((ms) => new Advance(ms)),
    fc.constantFrom(30_000, 300_000, 600_000).map((ms) => new SetTtl(ms)),
  ],
  { maxCommands: 60 },
);

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
  });
});
