/**
 * The drop object's SQLite storage. Only terms and holds are stored (each hold with the reserve key
 * that created it); held, sold and per-buyer totals are derived from the holds when the object loads,
 * so nothing can drift from the holds it counts. Reserve keys are looked up here, by index, rather than
 * held in memory; ended holds are purged once forgotten (retention.ts), their keys with them.
 *
 * Nothing is written until the drop is configured: an object that was only addressed (by an id that
 * names no drop) creates no tables and leaves no storage behind.
 *
 * The live stock stream's rows live in the same SQLite (stream/store.ts, `stream`), so the drop's state
 * version is written in the same transaction as every change it counts.
 */

import { SEED_VERSION, STREAM_SCHEMA, StreamStore } from "../stream/store";
import type { DropTerms, Hold, HoldKind, HoldState, Ledger, Touched } from "./ledger";
import { newLedger, putLive } from "./ledger";
import { RETAIN_ENDED_MS } from "./retention";

/** Holds that retention.ts forgets RETAIN_ENDED_MS past their expiry: buyers' holds that ended. */
const ENDED = "kind = 'hold' AND state IN ('released', 'expired')";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS terms (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  stock INTEGER NOT NULL CHECK (stock >= 0),
  starts_at INTEGER NOT NULL,
  ends_at INTEGER,
  per_buyer_limit INTEGER,
  hold_ttl_ms INTEGER NOT NULL,
  closed INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS holds (
  id TEXT PRIMARY KEY,
  buyer TEXT NOT NULL,
  quantity INTEGER NOT NULL CHECK (quantity >= 1),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('held', 'committed', 'released', 'expired')),
  order_ref TEXT,
  extended INTEGER NOT NULL,
  restocked INTEGER NOT NULL DEFAULT 0,
  kind TEXT NOT NULL DEFAULT 'hold',
  consumed INTEGER NOT NULL DEFAULT 0,
  -- The Idempotency-Key and request that created the hold. Not unique: once a key's hold is forgotten
  -- the key is free again, and the newest hold under it is the one a replay finds.
  reserve_key TEXT NOT NULL,
  request TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS holds_by_key ON holds (buyer, reserve_key);
-- ${ENDED}: the holds retention.ts lets go, in the order they are forgotten.
CREATE INDEX IF NOT EXISTS holds_ended ON holds (expires_at) WHERE ${ENDED};
-- The first objects made keys unique for ever; forgotten keys must be reusable.
DROP INDEX IF EXISTS holds_reserve_key;
${STREAM_SCHEMA}`;

type Row = Record<string, SqlStorageValue>;

/** A hold as stored, with the request its reserve key made. */
export interface KeyedHold {
  hold: Hold;
  request: string;
}
/** How many holds a drop's object stores, by kind and state: what its start-up loads and its disk keeps. */
export type Footprint = Record<`${HoldKind}:${HoldState}`, number>;
export interface NewHold {
  hold: Hold;
  reserveKey: string;
  request: string;
}
/** 8 rows of 12 columns stays within the 100 bound parameters a statement may carry. */
const ROWS_PER_INSERT = 8;
/** Columns added after the first objects were created: SQLite adds them in place on load. */
const ADDED_COLUMNS: [string, string][] = [
  ["restocked", "INTEGER NOT NULL DEFAULT 0"],
  ["kind", "TEXT NOT NULL DEFAULT 'hold'"],
  ["consumed", "INTEGER NOT NULL DEFAULT 0"],
];

const toHold = (r: Row): Hold => ({
  id: String(r.id),
  kind: String(r.kind) as HoldKind,
  buyer: String(r.buyer),
  quantity: Number(r.quantity),
  createdAt: Number(r.created_at),
  expiresAt: Number(r.expires_at),
  state: String(r.state) as HoldState,
  orderRef: r.order_ref === null ? null : String(r.order_ref),
  extended: Number(r.extended) === 1,
  restocked: Number(r.restocked) === 1,
  consumed: Number(r.consumed),
});

export class InventoryStore {
  /** Whether the tables exist: only once the drop was configured here. */
  private ready: boolean;
  /** Holds and allotments inserted since the last `takePlaced`: the stream's count of holds placed. */
  private placed = 0;
  /** The stream's rows: the state version, the last message published, the relays fed. */
  readonly stream: StreamStore;

  constructor(private readonly sql: SqlStorage) {
    this.stream = new StreamStore(sql, () => this.ready);
    // A read, not a write: an object nobody configured must stay empty.
    this.ready =
      sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'terms'").toArray().length > 0;
    if (this.ready) this.migrate();
  }

  /** Creates the tables, or brings an older object's up to date (no-ops when it already is). */
  private migrate(): void {
    this.sql.exec(SCHEMA);
    const columns = new Set(
      this.sql
        .exec("SELECT name FROM pragma_table_info('holds')")
        .toArray()
        .map((c) => c.name),
    );
    for (const [name, type] of ADDED_COLUMNS)
      if (!columns.has(name)) this.sql.exec(`ALTER TABLE holds ADD COLUMN ${name} ${type}`);
    this.sql.exec(SEED_VERSION);
    this.ready = true;
  }

  /** The ledger as stored, or null when the drop was never configured here. */
  load(): Ledger | null {
    if (!this.ready) return null;
    const [t] = this.sql.exec("SELECT * FROM terms WHERE id = 1").toArray();
    if (t === undefined) return null;
    const terms: DropTerms = {
      stock: Number(t.stock),
      startsAt: Number(t.starts_at),
      endsAt: t.ends_at === null ? null : Number(t.ends_at),
      perBuyerLimit: t.per_buyer_limit === null ? null : Number(t.per_buyer_limit),
      holdTtlMs: Number(t.hold_ttl_ms),
      closed: Number(t.closed) === 1,
    };
    const ledger = newLedger(terms, { get: (id) => this.hold(id) });
    for (const row of this.sql.exec("SELECT * FROM holds WHERE state = 'held'")) {
      const hold = toHold(row);
      putLive(ledger, hold);
      ledger.held += hold.quantity - hold.consumed;
    }
    const [sold] = this.sql
      .exec("SELECT coalesce(sum(quantity), 0) AS n FROM holds WHERE state = 'committed' AND restocked = 0")
      .toArray();
    ledger.sold = Number(sold?.n ?? 0);
    const totals = this.sql.exec(
      "SELECT buyer, sum(quantity) AS n FROM holds WHERE kind = 'hold' AND (state = 'held' OR (state = 'committed' AND restocked = 0)) GROUP BY buyer",
    );
    for (const row of totals) ledger.buyers.set(String(row.buyer), Number(row.n));
    return ledger;
  }

  hold(id: string): Hold | undefined {
    const [row] = this.sql.exec("SELECT * FROM holds WHERE id = ?", id).toArray();
    return row ? toHold(row) : undefined;
  }

  /** The drop's terms; the first save creates the tables. */
  saveTerms(terms: DropTerms): void {
    if (!this.ready) this.migrate();
    this.sql.exec(
      `INSERT OR REPLACE INTO terms (id, stock, starts_at, ends_at, per_buyer_limit, hold_ttl_ms, closed)
       VALUES (1, ?, ?, ?, ?, ?, ?)`,
      terms.stock,
      terms.startsAt,
      terms.endsAt,
      terms.perBuyerLimit,
      terms.holdTtlMs,
      terms.closed ? 1 : 0,
    );
  }

  /**
   * New holds, with the reserve key and request that created each. Several rows per statement: a
   * batch's inserts cost a few calls into SQLite, not one each.
   */
  insertHolds(rows: NewHold[]): void {
    for (const { hold } of rows) if (hold.kind !== "pos_sale") this.placed++;
    for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
      const chunk = rows.slice(start, start + ROWS_PER_INSERT);
      this.sql.exec(
        `INSERT INTO holds (id, kind, buyer, quantity, created_at, expires_at, state, order_ref, extended, consumed, reserve_key, request)
         VALUES ${chunk.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
        ...chunk.flatMap(({ hold: h, reserveKey, request }) => [
          h.id,
          h.kind,
          h.buyer,
          h.quantity,
          h.createdAt,
          h.expiresAt,
          h.state,
          h.orderRef,
          h.extended ? 1 : 0,
          h.consumed,
          reserveKey,
          request,
        ]),
      );
    }
  }

  /** Writes back how existing holds changed (buyer totals follow from them). */
  saveTouched(touched: Touched): void {
    // A hold touched many times in one operation (an allotment drawn down by each of a batch's sales) is
    // written once, as it ended up.
    for (const h of new Map(touched.holds.map((hold) => [hold.id, hold])).values()) {
      this.sql.exec(
        "UPDATE holds SET expires_at = ?, state = ?, order_ref = ?, extended = ?, restocked = ?, consumed = ? WHERE id = ?",
        h.expiresAt,
        h.state,
        h.orderRef,
        h.extended ? 1 : 0,
        h.restocked ? 1 : 0,
        h.consumed,
        h.id,
      );
    }
  }

  /**
   * The newest hold this buyer's key made, if any. Only the newest can still be remembered: a key makes
   * a new hold only once its previous one was forgotten, and a forgotten hold stays forgotten.
   */
  keyed(buyer: string, key: string): KeyedHold | undefined {
    const [row] = this.sql
      .exec(
        "SELECT * FROM holds WHERE buyer = ? AND reserve_key = ? ORDER BY created_at DESC, rowid DESC LIMIT 1",
        buyer,
        key,
      )
      .toArray();
    return row ? { hold: toHold(row), request: String(row.request) } : undefined;
  }

  /**
   * A buyer's own holds placed at or after `since`, and when the earliest of them was: the exact count
   * behind the holds-per-minute limit (keyed-reserve.ts), read through the (buyer, key) index.
   */
  placedSince(buyer: string, since: number): { count: number; earliest: number | null } {
    const [row] = this.sql
      .exec(
        "SELECT count(*) AS n, min(created_at) AS first FROM holds WHERE buyer = ? AND kind = 'hold' AND created_at >= ?",
        buyer,
        since,
      )
      .toArray();
    const first = row?.first ?? null;
    return { count: Number(row?.n ?? 0), earliest: first === null ? null : Number(first) };
  }

  /** Deletes up to `limit` holds forgotten by `now`, with their keys (the earliest forgotten first). */
  purge(now: number, limit: number): void {
    this.sql.exec(
      `DELETE FROM holds WHERE id IN (SELECT id FROM holds WHERE ${ENDED} AND expires_at <= ? ORDER BY expires_at LIMIT ?)`,
      now - RETAIN_ENDED_MS,
      limit,
    );
  }

  /** When the earliest stored hold that ended is forgotten (and may be purged), or null if none is stored. */
  nextForget(): number | null {
    if (!this.ready) return null;
    const [row] = this.sql.exec(`SELECT min(expires_at) AS at FROM holds WHERE ${ENDED}`).toArray();
    return row?.at === null || row?.at === undefined ? null : Number(row.at) + RETAIN_ENDED_MS;
  }

  /** Holds and allotments inserted since the last call: what the current transaction placed. */
  takePlaced(): number {
    const placed = this.placed;
    this.placed = 0;
    return placed;
  }

  /** Stored holds by kind and state (empty before the drop is configured). */
  footprint(): Partial<Footprint> {
    if (!this.ready) return {};
    const counts: Partial<Footprint> = {};
    for (const row of this.sql.exec("SELECT kind, state, count(*) AS n FROM holds GROUP BY kind, state"))
      counts[`${String(row.kind) as HoldKind}:${String(row.state) as HoldState}`] = Number(row.n);
    return counts;
  }
}
