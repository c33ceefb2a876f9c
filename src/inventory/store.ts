/**
 * The drop object's SQLite storage. Only terms and holds are stored (each hold with the reserve key
 * that created it); held, sold, per-buyer totals and the key index are derived from the holds when the
 * object loads, so nothing can drift from the holds it counts.
 */
import type { DropTerms, Hold, HoldKind, HoldState, Ledger, Touched } from "./ledger";
import { newLedger, putLive } from "./ledger";

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
  -- The Idempotency-Key and request that created the hold: one hold per key per buyer.
  reserve_key TEXT NOT NULL,
  request TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS holds_reserve_key ON holds (buyer, reserve_key);`;

type Row = Record<string, SqlStorageValue>;

export interface ReserveKey {
  request: string;
  holdId: string;
}
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

export const reserveKeyId = (buyer: string, key: string): string => `${buyer}\n${key}`;

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
  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
    const columns = new Set(
      sql
        .exec("SELECT name FROM pragma_table_info('holds')")
        .toArray()
        .map((c) => c.name),
    );
    for (const [name, type] of ADDED_COLUMNS)
      if (!columns.has(name)) sql.exec(`ALTER TABLE holds ADD COLUMN ${name} ${type}`);
  }

  /** The ledger as stored, or null when the drop was never configured here. */
  load(): Ledger | null {
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

  saveTerms(terms: DropTerms): void {
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
   * Every reserve key with its request and hold. Keys live as long as the drop's object: at least
   * 24 hours, as the API promises.
   */
  reserveKeys(): Map<string, ReserveKey> {
    const keys = new Map<string, ReserveKey>();
    for (const row of this.sql.exec("SELECT buyer, reserve_key, request, id FROM holds")) {
      keys.set(reserveKeyId(String(row.buyer), String(row.reserve_key)), {
        request: String(row.request),
        holdId: String(row.id),
      });
    }
    return keys;
  }
}
