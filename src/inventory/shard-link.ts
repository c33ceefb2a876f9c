/**
 * A shard's side of a sharded drop (docs/sharding.md): its books (the granted total it learned, its own
 * returned total), its stock kept equal to granted less returned, its refills from the coordinator,
 * and its reports to it. Everything else a shard does is the drop object's ordinary ledger, unchanged:
 * holds, expiry, commits, allotments and restocks keep every guarantee they have on one object.
 */
import type { StockMessage } from "../contract/stream";
import type { ReserveCall, ReserveResult } from "./contract";
import type { DropInventory } from "./drop-inventory";
import { available, expireDue, type Ledger, setStock, type Touched } from "./ledger";
import { giveBack, idSuffix, learnGrant, lowWater, type ShardBooks, shardStock } from "./sharding";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS shard_books (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  drop_id TEXT NOT NULL,
  shard INTEGER NOT NULL,
  shards INTEGER NOT NULL,
  granted INTEGER NOT NULL CHECK (granted >= 0),
  returned INTEGER NOT NULL CHECK (returned >= 0)
);`;

export interface ShardRole {
  dropId: string;
  shard: number;
  shards: number;
  /** The coordinator's granted total for this shard, merged by max. */
  granted: number;
}

/** What the link needs of its object: a ledger transaction (with its stream bump) and the namespace. */
export interface ShardHost {
  atomically<T>(op: (l: Ledger, touched: Touched) => T): T;
  ledger(): Ledger | null;
  namespace: DurableObjectNamespace<DropInventory>;
}

/** Refusals for want of units, which a refill may cure. */
export const SHORT = new Set(["sold_out", "insufficient"]);
/**
 * Refills one request may wait for. Each round is shared by every request waiting on the shard, so a
 * burst on a dry shard costs one coordinator call per round, not one per buyer; a round that gains
 * nothing means no spare unit was left anywhere, and the request is answered as it stands.
 */
export const MAX_REFILL_ROUNDS = 8;

export class ShardLink {
  /** The refill in flight, by kind: a buyer's (which may take siblings' units) or the background's. */
  private inflight: { buyer: Promise<boolean> | null; background: Promise<boolean> | null } = {
    buyer: null,
    background: null,
  };
  /** Units the requests waiting on this shard still need: what the next refill asks for at least. */
  private waiting = 0;
  /** Buyers who placed holds since the last report (their admissions, if any, are used). */
  private readonly heldBuyers = new Set<string>();
  /** A background refill that found the pool dry is not retried before this: no RPC per reserve. */
  private dryUntil = 0;

  private constructor(
    private readonly sql: SqlStorage,
    private readonly host: ShardHost,
    readonly role: Omit<ShardRole, "granted">,
    private books: ShardBooks,
  ) {}

  /** The suffix this shard's hold and sale ids carry, so the gateway routes them without a lookup. */
  get suffix(): string {
    return idSuffix(this.role.shard);
  }

  static load(sql: SqlStorage, host: ShardHost): ShardLink | null {
    const exists = sql
      .exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'shard_books'")
      .toArray();
    if (exists.length === 0) return null;
    const [r] = sql.exec("SELECT * FROM shard_books WHERE id = 1").toArray();
    if (r === undefined) return null;
    const role = { dropId: String(r.drop_id), shard: Number(r.shard), shards: Number(r.shards) };
    return new ShardLink(sql, host, role, { granted: Number(r.granted), returned: Number(r.returned) });
  }

  /** The first configure (after the terms are saved, in the same transaction): the books start here. */
  static init(sql: SqlStorage, role: ShardRole): void {
    sql.exec(SCHEMA);
    sql.exec(
      "INSERT OR IGNORE INTO shard_books (id, drop_id, shard, shards, granted, returned) VALUES (1, ?, ?, ?, ?, 0)",
      role.dropId,
      role.shard,
      role.shards,
      role.granted,
    );
  }

  /** The totals this shard reports in every exchange. */
  totals(): ShardBooks {
    return { ...this.books };
  }

  /** Books and stock move together, in the ledger's own transaction (so the stream sees the change). */
  private write(l: Ledger, books: ShardBooks): void {
    const set = setStock(l, shardStock(books));
    if (!set.ok) throw new Error(`shard stock ${shardStock(books)} below held and sold ${set.minimum}`);
    this.sql.exec(
      "UPDATE shard_books SET granted = ?, returned = ? WHERE id = 1",
      books.granted,
      books.returned,
    );
    this.books = books;
  }

  /** Learns a granted total (max merge): any exchange with the coordinator heals a lost grant. */
  learn(granted: number): ShardBooks {
    if (granted > this.books.granted)
      this.host.atomically((l) => {
        this.write(l, learnGrant(this.books, granted));
        return null;
      });
    return this.totals();
  }

  /**
   * Gives back up to `want` spare units (neither held nor sold, after due holds expire): the returned
   * total rises and the stock falls in one transaction, before the coordinator is told.
   */
  giveBack(granted: number, want: number): ShardBooks {
    this.learn(granted);
    this.host.atomically((l, touched) => {
      expireDue(l, Date.now(), touched);
      const out = giveBack(this.books, available(l), want);
      if (out.given > 0) this.write(l, out.books);
      return null;
    });
    return this.totals();
  }

  /**
   * One refill for `want` more units (or what every waiting request needs, if more); concurrent
   * callers share the one in flight. Answers whether the shard gained units. A failure leaves the
   * shard with what it has: its requests answer as a dry shard's would.
   */
  refill(want: number, siblings = true): Promise<boolean> {
    const kind = siblings ? "buyer" : "background";
    this.inflight[kind] ??= (async () => {
      try {
        const ns = this.host.namespace;
        const coordinator = ns.get(ns.idFromName(this.role.dropId));
        const before = this.books.granted;
        const ask = Math.max(want, this.waiting);
        const granted = await coordinator.refill(this.role.shard, this.books.returned, ask, siblings);
        this.learn(granted);
        if (!siblings && this.books.granted === before) this.dryUntil = Date.now() + 1000;
        return this.books.granted > before;
      } catch (error) {
        const { dropId, shard } = this.role;
        console.error(JSON.stringify({ drop: dropId, shard, error: `refill: ${String(error)}` }));
        return false;
      } finally {
        this.inflight[kind] = null;
      }
    })();
    return this.inflight[kind];
  }

  /**
   * Runs a request for `quantity` units on this shard: short of them, it waits for a refill first;
   * refused for want of units anyway (the requests ahead of it took them), it waits for another, for
   * as long as refills gain units (at most MAX_REFILL_ROUNDS). So a shard answers sold out only when
   * the pool and every sibling had nothing spare to give.
   */
  async withUnits<R>(quantity: number, run: () => Promise<R>, short: (r: R) => boolean): Promise<R> {
    this.waiting += quantity;
    try {
      const l = this.host.ledger();
      if (l !== null && available(l) < quantity) await this.refill(quantity - available(l));
      let result = await run();
      for (let round = 1; round < MAX_REFILL_ROUNDS && short(result); round++) {
        if (!(await this.refill(quantity))) break;
        result = await run();
      }
      return result;
    } finally {
      this.waiting -= quantity;
    }
  }

  /** A reserve on a shard; running low afterwards, it refills in the background for the next buyer. */
  async reserve(
    call: ReserveCall,
    submit: (call: ReserveCall) => Promise<ReserveResult>,
  ): Promise<ReserveResult> {
    const short = (r: ReserveResult) => !r.ok && SHORT.has(r.reason);
    const result = await this.withUnits(call.quantity, () => submit(call), short);
    // In the background only the pool is asked: taking siblings' units is for a buyer who waits.
    const l = this.host.ledger();
    if (l !== null && available(l) <= lowWater(this.books.granted) && Date.now() >= this.dryUntil)
      void this.refill(1, false);
    return result;
  }

  /** A buyer placed a hold here: the next report tells the coordinator's queue their admission is used. */
  heldBy(buyer: string): void {
    this.heldBuyers.add(buyer);
  }

  /**
   * The shard's coalesced stream message goes to the coordinator, which adds the shards up, with the
   * buyers who held since the last report. A failed report keeps them for the next one.
   */
  async report(message: StockMessage): Promise<{ viewers: number }> {
    const ns = this.host.namespace;
    const buyers = [...this.heldBuyers];
    this.heldBuyers.clear();
    try {
      return await ns.get(ns.idFromName(this.role.dropId)).shardReport(this.role.shard, message, buyers);
    } catch (error) {
      for (const buyer of buyers) this.heldBuyers.add(buyer);
      throw error;
    }
  }
}
