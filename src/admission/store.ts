/**
 * The admission queue's rows in the drop object's own SQLite, beside the ledger's (inventory/store.ts):
 * its settings and progress (one row) and one row per ticket. Written inside the drop's transactions,
 * so a queue change lands with the stream version it bumps. No table exists until the queue is first
 * configured: an object that never had a queue stores nothing for it.
 */
import type { QueueSettings, StoredTicketState, Ticket } from "./queue";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS queue_settings (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  enabled INTEGER NOT NULL,
  admit_per_second INTEGER NOT NULL CHECK (admit_per_second >= 1),
  shuffled INTEGER NOT NULL DEFAULT 0,
  admitted_through INTEGER NOT NULL DEFAULT 0
);
-- Every ticket, loaded whole at start-up (the queue lives in memory). A buyer has one live ticket at a
-- time; a new one only after the last one's admission lapsed, so buyer is not unique.
CREATE TABLE IF NOT EXISTS queue_tickets (
  id TEXT PRIMARY KEY,
  buyer TEXT NOT NULL,
  arrival INTEGER NOT NULL,
  joined_at INTEGER NOT NULL,
  position INTEGER,
  state TEXT NOT NULL CHECK (state IN ('waiting', 'admitted', 'used', 'expired')),
  admitted_at INTEGER,
  expires_at INTEGER,
  units INTEGER NOT NULL
);`;

/** 9 columns: 11 rows per statement stays within the 100 bound parameters one may carry. */
const ROWS_PER_UPSERT = 11;

type Row = Record<string, SqlStorageValue>;
const numOrNull = (v: SqlStorageValue | undefined): number | null =>
  v === null || v === undefined ? null : Number(v);

const toTicket = (r: Row): Ticket => ({
  id: String(r.id),
  buyer: String(r.buyer),
  arrival: Number(r.arrival),
  joinedAt: Number(r.joined_at),
  position: numOrNull(r.position),
  state: String(r.state) as StoredTicketState,
  admittedAt: numOrNull(r.admitted_at),
  expiresAt: numOrNull(r.expires_at),
  units: Number(r.units),
});

export interface StoredQueue {
  settings: QueueSettings;
  shuffled: boolean;
  admittedThrough: number;
  tickets: Ticket[];
}

export class AdmissionStore {
  private ready: boolean | null = null;

  constructor(private readonly sql: () => SqlStorage) {}

  private exists(): boolean {
    this.ready ??=
      this.sql()
        .exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'queue_settings'")
        .toArray().length > 0;
    return this.ready;
  }

  /** The queue as stored, or null when it was never configured here. */
  load(): StoredQueue | null {
    if (!this.exists()) return null;
    const [s] = this.sql().exec("SELECT * FROM queue_settings WHERE id = 1").toArray();
    if (s === undefined) return null;
    return {
      settings: { enabled: Number(s.enabled) === 1, admitPerSecond: Number(s.admit_per_second) },
      shuffled: Number(s.shuffled) === 1,
      admittedThrough: Number(s.admitted_through),
      tickets: this.sql().exec("SELECT * FROM queue_tickets").toArray().map(toTicket),
    };
  }

  saveSettings(settings: QueueSettings): void {
    if (!this.exists()) {
      this.sql().exec(SCHEMA);
      this.ready = true;
    }
    this.sql().exec(
      `INSERT INTO queue_settings (id, enabled, admit_per_second) VALUES (1, ?, ?)
       ON CONFLICT (id) DO UPDATE SET enabled = excluded.enabled, admit_per_second = excluded.admit_per_second`,
      settings.enabled ? 1 : 0,
      settings.admitPerSecond,
    );
  }

  saveProgress(shuffled: boolean, admittedThrough: number): void {
    this.sql().exec(
      "UPDATE queue_settings SET shuffled = ?, admitted_through = ? WHERE id = 1",
      shuffled ? 1 : 0,
      admittedThrough,
    );
  }

  /** New and changed tickets, each written once as it ended up, several rows per statement. */
  saveTickets(tickets: Ticket[]): void {
    const rows = [...new Map(tickets.map((t) => [t.id, t])).values()];
    for (let start = 0; start < rows.length; start += ROWS_PER_UPSERT) {
      const chunk = rows.slice(start, start + ROWS_PER_UPSERT);
      this.sql().exec(
        `INSERT OR REPLACE INTO queue_tickets (id, buyer, arrival, joined_at, position, state, admitted_at, expires_at, units)
         VALUES ${chunk.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
        ...chunk.flatMap((t) => [
          t.id,
          t.buyer,
          t.arrival,
          t.joinedAt,
          t.position,
          t.state,
          t.admittedAt,
          t.expiresAt,
          t.units,
        ]),
      );
    }
  }

  /** Forgets that the tables exist: after a rolled-back transaction that may have created them. */
  reset(): void {
    this.ready = null;
  }
}
