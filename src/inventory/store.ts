/**
 * The drop object's SQLite storage. Only terms, holds and reserve keys are stored; held, sold and
 * per-buyer totals are derived from the holds when the object loads, so no counter can drift from
 * the holds it counts.
 */
import type { DropTerms, Hold, HoldState, Ledger, Touched } from "./ledger";
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
  extended INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS holds_state ON holds (state);
CREATE TABLE IF NOT EXISTS reserve_keys (
  buyer TEXT NOT NULL,
  key TEXT NOT NULL,
  request TEXT NOT NULL,
  hold_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (buyer, key)
);`;

type Row = Record<string, SqlStorageValue>;

const toHold = (r: Row): Hold => ({
  id: String(r.id),
  buyer: String(r.buyer),
  quantity: Number(r.quantity),
  createdAt: Number(r.created_at),
  expiresAt: Number(r.expires_at),
  state: String(r.state) as HoldState,
  orderRef: r.order_ref === null ? null : String(r.order_ref),
  extended: Number(r.extended) === 1,
});

export class InventoryStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
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
      ledger.held += hold.quantity;
    }
    const [sold] = this.sql
      .exec("SELECT coalesce(sum(quantity), 0) AS n FROM holds WHERE state = 'committed'")
      .toArray();
    ledger.sold = Number(sold?.n ?? 0);
    const totals = this.sql.exec(
      "SELECT buyer, sum(quantity) AS n FROM holds WHERE state IN ('held', 'committed') GROUP BY buyer",
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

  /** Writes back the holds an operation touched (buyer totals follow from them). */
  saveTouched(touched: Touched): void {
    for (const h of touched.holds) {
      this.sql.exec(
        `INSERT OR REPLACE INTO holds (id, buyer, quantity, created_at, expires_at, state, order_ref, extended)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        h.id,
        h.buyer,
        h.quantity,
        h.createdAt,
        h.expiresAt,
        h.state,
        h.orderRef,
        h.extended ? 1 : 0,
      );
    }
  }

  reserveKey(buyer: string, key: string): { request: string; holdId: string } | undefined {
    const [row] = this.sql
      .exec("SELECT request, hold_id FROM reserve_keys WHERE buyer = ? AND key = ?", buyer, key)
      .toArray();
    return row ? { request: String(row.request), holdId: String(row.hold_id) } : undefined;
  }

  /** Reserve keys live as long as the drop's object: at least 24 hours, as the API promises. */
  saveReserveKey(buyer: string, key: string, request: string, holdId: string, now: number): void {
    this.sql.exec(
      "INSERT INTO reserve_keys (buyer, key, request, hold_id, created_at) VALUES (?, ?, ?, ?, ?)",
      buyer,
      key,
      request,
      holdId,
      now,
    );
  }
}
