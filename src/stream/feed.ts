/**
 * The drop's side of the live stock stream: the relays subscribed to it, and the coalesced publishing
 * that feeds them. A change schedules a publish (at once when the last one was at least
 * PUBLISH_EVERY_MS ago, else then); a publish mints one message and sends it in ONE RPC per relay,
 * never per viewer, one round at a time so each relay receives the drop's messages in order.
 *
 * The drop knows relays, never viewers: a relay that answers a publish with no viewers is forgotten,
 * and subscribes again when its next viewer arrives (`gen` keeps a stale answer from forgetting the
 * newer subscription).
 */
import type { StockMessage } from "../contract/stream";
import { publishDelay } from "./messages";
import type { StockRelay } from "./relay";
import type { RelayRow } from "./store";

/** Where the drop keeps its relays (its SQLite, inventory/store.ts). */
export interface RelayRegistry {
  relays(): RelayRow[];
  saveRelay(relay: RelayRow): void;
  forgetRelay(name: string, gen: number): void;
}

export interface FeedHost {
  registry: () => RelayRegistry;
  /**
   * The drop's newest message: with `mint`, a new one (stored) when its state moved since the last;
   * without, the last one published (the first is minted when there is none yet).
   */
  latest: (dropId: string, mint: boolean) => StockMessage | null;
  /** One RPC to one relay (StockRelay.receive); answers how many viewers it still has. */
  send: (relay: string, message: StockMessage) => Promise<{ viewers: number }>;
  now: () => number;
  later: (run: () => void, ms: number) => void;
}

/** The drop object's host: its storage, the relays' namespace, the real clock and timers. */
export const relaySender =
  (namespace: () => DurableObjectNamespace<StockRelay>) =>
  (relay: string, message: StockMessage): Promise<{ viewers: number }> => {
    const ns = namespace();
    return ns.get(ns.idFromName(relay)).receive(message);
  };

export class StockFeed {
  private rows: Map<string, RelayRow> | null = null;
  private timer = false;
  private lastPublishedAt: number | null = null;
  private sentSeq = -1;
  private sending = false;
  private dirty = false;
  private lastGen = 0;

  constructor(private readonly host: FeedHost) {}

  /**
   * A relay's first viewer arrived: feed it from now on, and answer the drop's message. When it is the
   * only relay, that is a current one; otherwise the last one published, and a change not yet published
   * reaches it with the next publish, as it reaches every relay (a message minted for it alone would
   * leave the others with a gap in their chain).
   */
  subscribe(name: string, dropId: string): StockMessage | null {
    const gen = Math.max(this.host.now(), this.lastGen + 1);
    this.lastGen = gen;
    const row = { name, dropId, gen };
    this.host.registry().saveRelay(row);
    const rows = this.relayRows();
    rows.set(name, row);
    const alone = rows.size === 1;
    const message = this.host.latest(dropId, alone);
    if (alone && message !== null) this.sentSeq = Math.max(this.sentSeq, message.seq);
    // A change seen while no relay listened was never scheduled: it is now.
    this.changed();
    return message;
  }

  /** The drop's state changed (its transaction committed): publish soon, if anyone listens. */
  changed(): void {
    this.dirty = true;
    if (this.timer || this.sending || this.relayRows().size === 0) return;
    this.timer = true;
    this.host.later(() => void this.publish(), publishDelay(this.lastPublishedAt, this.host.now()));
  }

  /** How many relays the drop feeds: for tests and operators. */
  relayCount(): number {
    return this.relayRows().size;
  }

  private relayRows(): Map<string, RelayRow> {
    this.rows ??= new Map(
      this.host
        .registry()
        .relays()
        .map((r) => [r.name, r]),
    );
    return this.rows;
  }

  private async publish(): Promise<void> {
    this.timer = false;
    this.dirty = false;
    const rows = [...this.relayRows().values()];
    const message = rows[0] ? this.host.latest(rows[0].dropId, true) : null;
    if (message === null || message.seq <= this.sentSeq) return;
    this.sentSeq = message.seq;
    this.lastPublishedAt = this.host.now();
    this.sending = true;
    try {
      await Promise.all(rows.map((row) => this.send(row, message)));
    } finally {
      this.sending = false;
      if (this.dirty) this.changed();
    }
  }

  private async send(row: RelayRow, message: StockMessage): Promise<void> {
    try {
      const { viewers } = await this.host.send(row.name, message);
      if (viewers > 0) return;
      this.host.registry().forgetRelay(row.name, row.gen);
      if (this.relayRows().get(row.name)?.gen === row.gen) this.relayRows().delete(row.name);
    } catch (error) {
      // The relay stays subscribed. Its viewers see the gap in `prev_seq` at its next message; one that
      // reconnects with `after` gets a fresh snapshot, since the relay's ring has the same gap.
      console.error(JSON.stringify({ error: `stock relay ${row.name}: ${String(error)}` }));
    }
  }
}
