/**
 * The live stock stream's rows in the drop object's own SQLite (docs/stream.md): the drop's state version
 * (`seq`) and running totals, updated in the transaction of each change it counts; the last message
 * published; and the relays subscribed to the drop. InventoryStore creates the tables with its own.
 */
import type { StockMessage } from "../contract/stream";
import type { Published, StreamVersion } from "./messages";

export const STREAM_SCHEMA = `
-- The stream's state version and running totals: one row, updated in each change's own transaction.
CREATE TABLE IF NOT EXISTS stream_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL,
  holds_total INTEGER NOT NULL,
  releases_total INTEGER NOT NULL,
  sales_total INTEGER NOT NULL
);
-- The last message published to the relays, and the sales total it counted from.
CREATE TABLE IF NOT EXISTS stream_published (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  message TEXT NOT NULL,
  sales_total INTEGER NOT NULL
);
-- Relays fed by this drop; gen tells a subscription from an older one under the same name.
CREATE TABLE IF NOT EXISTS stream_relays (
  name TEXT PRIMARY KEY,
  drop_id TEXT NOT NULL,
  gen INTEGER NOT NULL
);`;

/**
 * The stream's first version row, once (after the columns it reads exist): an object older than the
 * stream starts its totals from the holds it still stores.
 */
export const SEED_VERSION = `
INSERT INTO stream_version (id, seq, holds_total, releases_total, sales_total)
  SELECT 1, 0,
    (SELECT count(*) FROM holds WHERE kind != 'pos_sale'),
    (SELECT count(*) FROM holds WHERE kind != 'pos_sale' AND state IN ('released', 'expired')),
    (SELECT coalesce(sum(quantity), 0) FROM holds WHERE state = 'committed')
  WHERE NOT EXISTS (SELECT 1 FROM stream_version)`;

/** A relay subscribed to the drop's stream. */
export interface RelayRow {
  name: string;
  dropId: string;
  gen: number;
}

export class StreamStore {
  /** `ready`: whether the drop's tables exist (only once it was configured here). */
  constructor(
    private readonly sql: SqlStorage,
    private readonly ready: () => boolean,
  ) {}

  /** The stream's state version (all zero before the drop is configured). */
  version(): StreamVersion {
    const [row] = this.ready() ? this.sql.exec("SELECT * FROM stream_version WHERE id = 1").toArray() : [];
    return {
      seq: Number(row?.seq ?? 0),
      holdsTotal: Number(row?.holds_total ?? 0),
      releasesTotal: Number(row?.releases_total ?? 0),
      salesTotal: Number(row?.sales_total ?? 0),
    };
  }

  /** One small UPDATE, inside the transaction of the change it counts. */
  saveVersion(v: StreamVersion): void {
    this.sql.exec(
      "UPDATE stream_version SET seq = ?, holds_total = ?, releases_total = ?, sales_total = ? WHERE id = 1",
      v.seq,
      v.holdsTotal,
      v.releasesTotal,
      v.salesTotal,
    );
  }

  published(): Published | null {
    const [row] = this.ready() ? this.sql.exec("SELECT * FROM stream_published WHERE id = 1").toArray() : [];
    return row
      ? { message: JSON.parse(String(row.message)) as StockMessage, salesTotal: Number(row.sales_total) }
      : null;
  }

  savePublished(p: Published): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO stream_published (id, message, sales_total) VALUES (1, ?, ?)",
      JSON.stringify(p.message),
      p.salesTotal,
    );
  }

  relays(): RelayRow[] {
    if (!this.ready()) return [];
    return this.sql
      .exec("SELECT name, drop_id, gen FROM stream_relays")
      .toArray()
      .map((r) => ({ name: String(r.name), dropId: String(r.drop_id), gen: Number(r.gen) }));
  }

  saveRelay(relay: RelayRow): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO stream_relays (name, drop_id, gen) VALUES (?, ?, ?)",
      relay.name,
      relay.dropId,
      relay.gen,
    );
  }

  /** Only the subscription that answered: a newer one under the same name stays. */
  forgetRelay(name: string, gen: number): void {
    this.sql.exec("DELETE FROM stream_relays WHERE name = ? AND gen = ?", name, gen);
  }
}
