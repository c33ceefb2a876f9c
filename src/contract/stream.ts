/**
 * The live stock stream's contract: what a viewer receives over the WebSocket, over SSE and from the
 * cached poll. Types only: shared by the worker and the browser clients (clients/*), which import
 * nothing else of the worker.
 *
 * `seq` is the drop's state version: it rises with every change to the drop's counters and never goes
 * back, so a higher `seq` is never older state, wherever it was read. Stream messages are coalesced
 * (at most one per 250 ms, and only on change), so consecutive messages may skip versions; each names
 * the `seq` of the message before it (`prev_seq`), so a viewer that sees `prev_seq` differ from the last
 * `seq` it holds knows it missed one. A viewer that reconnects with the last `seq` it holds
 * (`?after=` on the WebSocket, `Last-Event-ID` on SSE) gets every message after it, in order, or, when
 * those are no longer kept, a fresh `snapshot`.
 */

export interface StockMessage {
  type: "snapshot" | "update";
  drop_id: string;
  seq: number;
  /** The `seq` of the stream message before this one; null on the first message a drop ever sent. */
  prev_seq: number | null;
  stock: number;
  available: number;
  held: number;
  sold: number;
  phase: "upcoming" | "live" | "ended" | "closed";
  /** Holds placed, holds released or expired, and units sold since `prev_seq`. */
  holds: number;
  releases: number;
  sales: number;
  /** Running totals since the drop began, so a delta survives a missed message. */
  holds_total: number;
  releases_total: number;
  /** ISO 8601 UTC: when the drop's object read these figures. */
  as_of: string;
  /**
   * The admission queue (docs/admission.md), present while the drop's queue is on. A ticket at position
   * p is admitted once p <= admitted_through, so each viewer places itself from this one broadcast;
   * a queue change bumps `seq` like any other.
   */
  queue?: QueueBroadcast | null;
}

export interface QueueBroadcast {
  state: "gathering" | "admitting" | "sold_out" | "paused";
  /** Tickets still waiting (none of them admitted yet). */
  waiting: number;
  /** The highest position admitted so far. */
  admitted_through: number;
  admit_per_second: number;
}
