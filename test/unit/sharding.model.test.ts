import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { claim, consume } from "../../src/inventory/allotments";
import { ledgerViolations } from "../../src/inventory/invariants";
import {
  available,
  commit,
  type DropTerms,
  expireDue,
  extend,
  type Hold,
  type Ledger,
  newLedger,
  release,
  reserve,
  restock,
  setStock,
  type Touched,
} from "../../src/inventory/ledger";
import {
  allocatedOf,
  batchSize,
  giveBack,
  grant,
  idSuffix,
  initialGrant,
  learnGrant,
  mergeReturned,
  poolOf,
  type ShardAccount,
  type ShardBooks,
  shardOf,
  shardOfId,
  shardStock,
} from "../../src/inventory/sharding";

/**
 * A sharded drop, in pure code, against the single ledger as its reference. The single ledger is the
 * one test/unit/ledger.model.test.ts proves equal to the plain reference model, command for command, so
 * agreeing with it answer for answer is agreeing with that model.
 *
 * The sharded side is what the objects run: one ledger per shard (terms.stock = the shard's granted
 * less returned), the coordinator's per-shard totals, and the same refill rule (a shard short of what a
 * reserve, claim or sale needs asks once: the pool first, then its siblings' spare units). Interleaved:
 * healthy transfers both ways, transfers that crash between their two writes, and heals (any exchange).
 * After every step: no shard oversells, no unit is counted twice, no buyer is over the cap anywhere,
 * sold out only when every unit is held or sold, and the same answers and totals as the reference.
 */
interface Shard {
  ledger: Ledger;
  archive: Map<string, Hold>;
  books: ShardBooks;
}
interface World {
  ref: Ledger;
  refArchive: Map<string, Hold>;
  n: number;
  stock: number;
  accounts: ShardAccount[];
  shards: Shard[];
  now: number;
  /** Every id made so far, with the shard it lives on: what commands on existing holds pick from. */
  ids: { id: string; shard: number; kind: Hold["kind"] }[];
}

const shardAt = (w: World, i: number): Shard => w.shards[i] as Shard;
const account = (w: World, i: number): ShardAccount => w.accounts[i] as ShardAccount;

/** The shard's ledger follows its books: stock is what it was granted less what it gave back. */
function syncStock(s: Shard): void {
  const set = setStock(s.ledger, shardStock(s.books));
  if (!set.ok) throw new Error("a shard's stock fell below what it holds and sold");
}

/** Any exchange between the coordinator and shard i: each side max-merges the other's total. */
function heal(w: World, i: number): void {
  const s = shardAt(w, i);
  s.books = learnGrant(s.books, account(w, i).granted);
  w.accounts[i] = mergeReturned(account(w, i), s.books.returned);
  syncStock(s);
}

/** A shard gives back up to `want` spare units; `lost` is a crash before the coordinator hears. */
function giveBackFrom(w: World, j: number, want: number, lost = false): void {
  const s = shardAt(w, j);
  // Due holds expire first, as every operation on the object does: their units are spare too.
  runOn(s.ledger, s.archive, (l, t) => expireDue(l, w.now, t));
  const out = giveBack(s.books, available(s.ledger), want);
  s.books = out.books;
  syncStock(s);
  if (!lost) w.accounts[j] = mergeReturned(account(w, j), s.books.returned);
}

/** The coordinator grants up to `size` pool units; `lost` is a crash before the shard hears. */
function grantTo(w: World, i: number, size: number, lost = false): void {
  w.accounts = grant(w.stock, w.accounts, i, size).accounts;
  if (!lost) heal(w, i);
}

/** What shard i's refill does (shard-link.ts, coordinator.ts): one attempt, siblings when the pool is short. */
function refill(w: World, i: number, want: number): void {
  heal(w, i);
  if (poolOf(w.stock, w.accounts) < want) {
    for (let j = 0; j < w.n && poolOf(w.stock, w.accounts) < want; j++) {
      if (j === i) continue;
      heal(w, j);
      giveBackFrom(w, j, want - poolOf(w.stock, w.accounts));
    }
  }
  grantTo(w, i, batchSize(w.stock, w.n, want));
}

/** Runs one ledger operation, moving the holds it ended to the archive as the object's write-back does. */
function runOn<T>(l: Ledger, archive: Map<string, Hold>, op: (l: Ledger, t: Touched) => T): T {
  const touched: Touched = { holds: [] };
  const got = op(l, touched);
  for (const hold of touched.holds) if (hold.state !== "held") archive.set(hold.id, hold);
  return got;
}

/** One operation on the reference and on a shard. */
function both<T>(w: World, shard: number, op: (l: Ledger, t: Touched) => T): [T, T] {
  const s = shardAt(w, shard);
  return [runOn(w.ref, w.refArchive, op), runOn(s.ledger, s.archive, op)];
}

function checkWorld(w: World): void {
  // Totals are compared as a read sees them: each shard expires its own due holds first (its alarm, or
  // the snapshot's fan-out), while only the shard an operation ran on has done so yet.
  runOn(w.ref, w.refArchive, (l, t) => expireDue(l, w.now, t));
  for (const s of w.shards) runOn(s.ledger, s.archive, (l, t) => expireDue(l, w.now, t));
  let held = 0;
  let sold = 0;
  const buyers = new Map<string, number>();
  w.shards.forEach((s, i) => {
    expect(ledgerViolations(s.ledger)).toEqual([]);
    // The side that gives writes first: a shard never knows of more granted, or less returned, than
    // the coordinator counts against the pool. So no unit is counted twice.
    expect(s.books.granted).toBeLessThanOrEqual(account(w, i).granted);
    expect(s.books.returned).toBeGreaterThanOrEqual(account(w, i).returned);
    held += s.ledger.held;
    sold += s.ledger.sold;
    for (const [buyer, units] of s.ledger.buyers) {
      expect(shardOf(buyer, w.n), `buyer ${buyer} counted on a foreign shard`).toBe(i);
      buyers.set(buyer, (buyers.get(buyer) ?? 0) + units);
    }
  });
  expect(poolOf(w.stock, w.accounts)).toBeGreaterThanOrEqual(0);
  expect(held + sold).toBeLessThanOrEqual(w.stock);
  expect({ held, sold, stock: w.stock }).toEqual({
    held: w.ref.held,
    sold: w.ref.sold,
    stock: w.ref.terms.stock,
  });
  expect(Object.fromEntries(buyers)).toEqual(Object.fromEntries(w.ref.buyers));
}

/**
 * The answers agree (a hold's shard-side fields included). A reserve or claim answered sold out means
 * every unit of the drop is held or sold (a sale's `sold_out` means too few for it, so not there).
 */
function agree(w: World, [ref, got]: [unknown, unknown], soldOutMeansNone = false): void {
  expect(got).toEqual(ref);
  const reason = (got as { reason?: string }).reason;
  if (soldOutMeansNone && reason === "sold_out") expect(w.ref.held + w.ref.sold).toBe(w.stock);
}

type Cmd = fc.Command<World, World>;
const cmd = (name: string, run: (w: World) => void, check: (w: World) => boolean = () => true): Cmd => ({
  check: (w) => check(w as World),
  run: (w) => {
    run(w);
    checkWorld(w);
  },
  toString: () => name,
});

const reserveCmd = ([buyer, quantity, allowPartial]: [string, number, boolean]) =>
  cmd(`reserve(${buyer}, ${quantity}${allowPartial ? ", partial" : ""})`, (w) => {
    const i = shardOf(buyer, w.n);
    const holdId = `h${w.ids.length}${idSuffix(i)}`;
    // The shard's pre-check (DropInventory.reserve): short of the request, one refill first.
    if (available(shardAt(w, i).ledger) < quantity) refill(w, i, quantity - available(shardAt(w, i).ledger));
    const req = { holdId, buyer, quantity, allowPartial, now: w.now };
    const answers = both(w, i, (l, t) => reserve(l, req, t));
    if (answers[0].ok) w.ids.push({ id: holdId, shard: i, kind: "hold" });
    agree(w, [answers[0], { ...answers[1], available: answers[0].available }], true);
  });

const claimCmd = ([device, quantity, allowPartial]: [string, number, boolean]) =>
  cmd(`claim(${device}, ${quantity}${allowPartial ? ", partial" : ""})`, (w) => {
    // An allotment's id is made by the POS verb before the call: its shard is the id's hash.
    const allotmentId = `alt_${w.ids.length}`;
    const i = shardOfId(allotmentId, w.n) ?? 0;
    if (available(shardAt(w, i).ledger) < quantity) refill(w, i, quantity - available(shardAt(w, i).ledger));
    const req = { allotmentId, buyer: device, quantity, allowPartial, ttlMs: 600_000, now: w.now };
    const answers = both(w, i, (l, t) => claim(l, req, t));
    if (answers[0].ok) w.ids.push({ id: allotmentId, shard: i, kind: "allotment" });
    agree(w, answers, true);
  });

const consumeCmd = ([index, sale, quantity]: [number, number, number]) =>
  cmd(
    `consume(#${index}, p${sale}, ${quantity})`,
    (w) => {
      const allotments = w.ids.filter((x) => x.kind === "allotment");
      const named = allotments[index % allotments.length];
      if (!named) return;
      const i = named.shard;
      const req = {
        allotmentId: named.id,
        // Sale ids follow the item, which names its allotment: a replay reaches the same shard.
        saleId: `${named.id}.p${sale}${idSuffix(i)}`,
        orderRef: `ord-${sale}`,
        quantity,
        now: w.now,
      };
      const op = (l: Ledger, t: Touched) => consume(l, req, t);
      const ref = runOn(w.ref, w.refArchive, op);
      const s = shardAt(w, i);
      // A sale refused for want of stock waits for the shard's one refill, then is tried again.
      let got = runOn(s.ledger, s.archive, op);
      if (!got.ok && got.reason === "sold_out") {
        refill(w, i, Math.max(1, quantity - available(s.ledger)));
        got = runOn(s.ledger, s.archive, op);
      }
      for (const [archive, answer] of [
        [w.refArchive, ref],
        [s.archive, got],
      ] as const)
        if (answer.ok && !answer.replayed) archive.set(answer.sale.id, answer.sale);
      if (ref.ok && !ref.replayed) w.ids.push({ id: req.saleId, shard: i, kind: "pos_sale" });
      agree(w, [ref, got]);
    },
    (w) => w.ids.some((x) => x.kind === "allotment"),
  );

/** Commands on an existing id route by the id alone, exactly as the gateway does. */
const onId =
  (name: string, op: (w: World, id: string) => (l: Ledger, t: Touched) => unknown) => (index: number) =>
    cmd(
      `${name}(#${index})`,
      (w) => {
        const picked = w.ids[index % w.ids.length];
        if (!picked) return;
        const i = shardOfId(picked.id, w.n);
        expect(i).toBe(picked.shard);
        agree(w, both(w, picked.shard, op(w, picked.id)));
      },
      (w) => w.ids.length > 0,
    );

const commitCmd = (order: string) =>
  onId(`commit[${order}]`, (w, holdId) => (l, t) => commit(l, { holdId, orderRef: order, now: w.now }, t));
const restockCmd = (order: string) =>
  onId(`restock[${order}]`, (w, holdId) => (l, t) => restock(l, { holdId, orderRef: order, now: w.now }, t));
const releaseCmd = onId("release", (w, holdId) => (l, t) => release(l, { holdId, now: w.now }, t));
const extendCmd = onId("extend", (w, holdId) => (l, t) => extend(l, { holdId, now: w.now }, t));

const expireCmd = cmd("alarm()", (w) => {
  runOn(w.ref, w.refArchive, (l, t) => expireDue(l, w.now, t));
  for (const s of w.shards) runOn(s.ledger, s.archive, (l, t) => expireDue(l, w.now, t));
});
const advanceCmd = (ms: number) =>
  cmd(`advance(${ms})`, (w) => {
    w.now += ms;
  });

/** Adjust: the coordinator takes back every spare unit (healing on the way), then sets the total. */
const setStockCmd = (stock: number) =>
  cmd(`setStock(${stock})`, (w) => {
    for (let j = 0; j < w.n; j++) {
      heal(w, j);
      giveBackFrom(w, j, Number.MAX_SAFE_INTEGER);
    }
    const minimum = allocatedOf(w.accounts);
    const ref = setStock(w.ref, stock);
    const got = stock < minimum ? { ok: false, reason: "below_committed", minimum } : { ok: true };
    if (got.ok) w.stock = stock;
    agree(w, [ref, got]);
  });

/** Terms other than stock are forwarded to every shard. */
const closeCmd = cmd("close()", (w) => {
  for (const l of [w.ref, ...w.shards.map((s) => s.ledger)]) l.terms = { ...l.terms, closed: true };
});

const rebalanceCmd = ([shard, units, lost]: [number, number, boolean]) =>
  cmd(`grant(s${shard}, ${units}${lost ? ", crash" : ""})`, (w) => grantTo(w, shard % w.n, units, lost));
const reclaimCmd = ([shard, units, lost]: [number, number, boolean]) =>
  cmd(`giveBack(s${shard}, ${units}${lost ? ", crash" : ""})`, (w) =>
    giveBackFrom(w, shard % w.n, units, lost),
  );
const healCmd = (shard: number) => cmd(`heal(s${shard})`, (w) => heal(w, shard % w.n));

const buyers = fc.constantFrom("ann", "bo", "cy", "dee", "eli", "fay");
const order = fc.constantFrom("order-1", "order-2");
const transfer = fc.tuple(fc.nat(3), fc.integer({ min: 1, max: 5 }), fc.boolean());
const command: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 30, arbitrary: fc.tuple(buyers, fc.integer({ min: 1, max: 4 }), fc.boolean()).map(reserveCmd) },
  {
    weight: 10,
    arbitrary: fc
      .tuple(fc.constantFrom("pos:d1", "pos:d2"), fc.integer({ min: 1, max: 5 }), fc.boolean())
      .map(claimCmd),
  },
  { weight: 10, arbitrary: fc.tuple(fc.nat(7), fc.nat(3), fc.integer({ min: 1, max: 3 })).map(consumeCmd) },
  { weight: 15, arbitrary: fc.tuple(fc.nat(20), order).map(([i, o]) => commitCmd(o)(i)) },
  { weight: 10, arbitrary: fc.nat(20).map(releaseCmd) },
  { weight: 5, arbitrary: fc.nat(20).map(extendCmd) },
  { weight: 5, arbitrary: fc.tuple(fc.nat(20), order).map(([i, o]) => restockCmd(o)(i)) },
  { weight: 5, arbitrary: fc.constant(expireCmd) },
  { weight: 10, arbitrary: fc.integer({ min: 0, max: 400_000 }).map(advanceCmd) },
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 20 }).map(setStockCmd) },
  { weight: 1, arbitrary: fc.constant(closeCmd) },
  { weight: 10, arbitrary: transfer.map(rebalanceCmd) },
  { weight: 10, arbitrary: transfer.map(reclaimCmd) },
  { weight: 5, arbitrary: fc.nat(3).map(healCmd) },
);

const termsArb = fc.record({
  stock: fc.integer({ min: 0, max: 16 }),
  startsAt: fc.constantFrom(0, 100_000),
  endsAt: fc.constantFrom(null, 1_200_000),
  perBuyerLimit: fc.option(fc.integer({ min: 1, max: 4 }), { nil: null }),
  holdTtlMs: fc.constant(300_000),
  closed: fc.constant(false),
});

function world(terms: DropTerms, n: number): World {
  const refArchive = new Map<string, Hold>();
  const first = initialGrant(terms.stock, n);
  const shards = Array.from({ length: n }, () => {
    const archive = new Map<string, Hold>();
    const books = { granted: first, returned: 0 };
    return { ledger: newLedger({ ...terms, stock: first }, archive), archive, books };
  });
  return {
    ref: newLedger({ ...terms }, refArchive),
    refArchive,
    n,
    stock: terms.stock,
    accounts: shards.map(() => ({ granted: first, returned: 0 })),
    shards,
    now: 0,
    ids: [],
  };
}

describe("a sharded drop against the single ledger", () => {
  it("sells the same, never oversells, keeps caps exact and sells out only when every unit is out", () => {
    fc.assert(
      fc.property(
        termsArb,
        fc.integer({ min: 2, max: 4 }),
        fc.commands([command], { maxCommands: 60, size: "max" }),
        (terms, n, cmds) => {
          fc.modelRun(() => {
            const w = world(terms, n);
            return { model: w, real: w };
          }, cmds);
        },
      ),
      { numRuns: 1000 },
    );
  }, 120_000);
});
