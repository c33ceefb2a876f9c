/**
 * A sharded drop's own object as coordinator (docs/sharding.md): it keeps the pool of units no shard
 * holds, grants them to shards in batches, takes spare units back from siblings when the pool runs
 * dry, forwards the terms, and adds up what the shards report for the stock read and the stream.
 * The rules are pure (sharding.ts); this class is their storage and their calls.
 *
 * Its SQLite keeps, per shard, the monotonic grant totals and the shard's last reported counters, so
 * a restarted coordinator neither re-grants nor reads the drop as empty.
 */
import type { StockMessage } from "../contract/stream";
import type { AdjustResult, StockSnapshot } from "./contract";
import type { DropInventory } from "./drop-inventory";
import type { DropTerms } from "./ledger";
import {
  aggregate,
  allocatedOf,
  batchSize,
  grant,
  initialGrant,
  mergeReturned,
  noCounters,
  poolOf,
  reportChange,
  type ShardAccount,
  type ShardCounters,
  shardName,
} from "./sharding";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS shard_pool (
  shard INTEGER PRIMARY KEY,
  drop_id TEXT NOT NULL,
  granted INTEGER NOT NULL CHECK (granted >= 0),
  returned INTEGER NOT NULL CHECK (returned >= 0),
  -- The shard's last report (stream message seq, counters): what the drop's figures add up from.
  seq INTEGER NOT NULL DEFAULT -1,
  held INTEGER NOT NULL DEFAULT 0,
  sold INTEGER NOT NULL DEFAULT 0,
  holds_total INTEGER NOT NULL DEFAULT 0,
  releases_total INTEGER NOT NULL DEFAULT 0
);`;

/** A shard's books as the coordinator keeps them. */
interface Row extends ShardAccount, ShardCounters {
  seq: number;
}

/** A shard's answer to any exchange: its own totals, so the coordinator can merge what it returned. */
export interface ShardExchange {
  granted: number;
  returned: number;
  snapshot: StockSnapshot | null;
}

type Namespace = DurableObjectNamespace<DropInventory>;
/** A change in the drop-wide figures, for the coordinator's stream version. */
export type Change = { holds: number; releases: number; sales: number };

export class Coordinator {
  private constructor(
    private readonly sql: SqlStorage,
    private readonly namespace: Namespace,
    readonly dropId: string,
    private rows: Row[],
  ) {}

  get shards(): number {
    return this.rows.length;
  }

  /** The coordinator as stored, or null when this object is not one. */
  static load(sql: SqlStorage, namespace: Namespace): Coordinator | null {
    const exists = sql
      .exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'shard_pool'")
      .toArray();
    if (exists.length === 0) return null;
    const rows = sql.exec("SELECT * FROM shard_pool ORDER BY shard").toArray();
    if (rows.length === 0) return null;
    const dropId = String(rows[0]?.drop_id);
    return new Coordinator(
      sql,
      namespace,
      dropId,
      rows.map((r) => ({
        granted: Number(r.granted),
        returned: Number(r.returned),
        seq: Number(r.seq),
        held: Number(r.held),
        sold: Number(r.sold),
        holdsTotal: Number(r.holds_total),
        releasesTotal: Number(r.releases_total),
      })),
    );
  }

  /** At creation (in the transaction that first saves the terms): each shard's first grant, on the books. */
  static init(sql: SqlStorage, dropId: string, shards: number, stock: number): void {
    sql.exec(SCHEMA);
    const first = initialGrant(stock, shards);
    for (let shard = 0; shard < shards; shard++)
      sql.exec(
        "INSERT OR IGNORE INTO shard_pool (shard, drop_id, granted, returned) VALUES (?, ?, ?, 0)",
        shard,
        dropId,
        first,
      );
  }

  private stub(shard: number): DurableObjectStub<DropInventory> {
    return this.namespace.get(this.namespace.idFromName(shardName(this.dropId, shard)));
  }

  private row(shard: number): Row {
    const row = this.rows[shard];
    if (row === undefined) throw new Error(`shard ${shard} of ${this.shards}`);
    return row;
  }

  private save(shard: number, row: Row): void {
    this.rows[shard] = row;
    this.sql.exec(
      `UPDATE shard_pool SET granted = ?, returned = ?, seq = ?, held = ?, sold = ?, holds_total = ?,
         releases_total = ? WHERE shard = ?`,
      row.granted,
      row.returned,
      row.seq,
      row.held,
      row.sold,
      row.holdsTotal,
      row.releasesTotal,
      shard,
    );
  }

  /** The coordinator learns a shard's returned total (max merge), from any answer that carries it. */
  private merge(shard: number, returned: number): void {
    const row = this.row(shard);
    const merged = mergeReturned(row, returned);
    if (merged !== row) this.save(shard, { ...row, ...merged });
  }

  /**
   * Every shard configured with the drop's terms and its granted total (idempotent: a configured shard
   * only max-merges the total). Run at creation and whenever the gateway met an unconfigured shard.
   */
  async ensureShards(terms: DropTerms): Promise<void> {
    await Promise.all(
      this.rows.map(async (row, shard) => {
        const books = await this.stub(shard).configureShard(terms, {
          dropId: this.dropId,
          shard,
          shards: this.shards,
          granted: row.granted,
        });
        this.merge(shard, books.returned);
      }),
    );
  }

  /**
   * A shard ran short by `want` units: one attempt. When the pool has too few, siblings give back their
   * spare units first (only unheld ones), so the drop sells out only when every unit is held or sold.
   * The grant is written before it is answered: a lost answer under-sells until the next exchange.
   */
  async refill(
    stock: number,
    shard: number,
    returned: number,
    want: number,
    siblings: boolean,
  ): Promise<number> {
    this.merge(shard, returned);
    if (siblings && poolOf(stock, this.rows) < want) {
      for (let sibling = 0; sibling < this.shards && poolOf(stock, this.rows) < want; sibling++) {
        if (sibling !== shard) await this.reclaim(sibling, want - poolOf(stock, this.rows));
      }
    }
    const out = grant(stock, this.rows, shard, batchSize(stock, this.shards, want));
    const row = this.row(shard);
    const granted = out.accounts[shard]?.granted ?? row.granted;
    if (granted !== row.granted) this.save(shard, { ...row, granted });
    return granted;
  }

  /** Asks one shard to give back up to `want` spare units; the exchange also heals a lost grant. */
  private async reclaim(shard: number, want: number): Promise<void> {
    try {
      const books = await this.stub(shard).giveBack(this.row(shard).granted, want);
      this.merge(shard, books.returned);
    } catch (error) {
      // A sibling that cannot answer keeps its units; the refill grants what the pool has.
      console.error(JSON.stringify({ drop: this.dropId, shard, error: `give back: ${String(error)}` }));
    }
  }

  /**
   * Admin: new terms for every shard (stock stays with the coordinator), and a new total. The total may
   * fall only to what the shards still hold after giving back every spare unit: held, sold, allotted.
   */
  async adjust(
    changes: Partial<Omit<DropTerms, "closed">>,
    currentStock: number,
  ): Promise<AdjustResult | null> {
    const { stock, ...rest } = changes;
    // Stock first: a refused total must leave every shard's terms as they were.
    if (stock !== undefined && stock < currentStock && stock < allocatedOf(this.rows)) {
      await Promise.all(this.rows.map((_, shard) => this.reclaim(shard, Number.MAX_SAFE_INTEGER)));
      const minimum = allocatedOf(this.rows);
      if (stock < minimum) return { ok: false, reason: "below_committed", minimum };
    }
    if (Object.values(rest).some((v) => v !== undefined))
      await Promise.all(this.rows.map((_, shard) => this.stub(shard).adjust(rest)));
    return null;
  }

  /** Admin: every shard closes; live holds may still be committed there. */
  async close(): Promise<void> {
    await Promise.all(this.rows.map((_, shard) => this.stub(shard).close()));
  }

  /** A shard's coalesced report (its stream message): what changed drop-wide, or null. */
  report(shard: number, message: StockMessage): Change | null {
    const row = this.row(shard);
    if (message.seq <= row.seq) return null;
    const next: Row = {
      ...row,
      seq: message.seq,
      held: message.held,
      sold: message.sold,
      holdsTotal: message.holds_total,
      releasesTotal: message.releases_total,
    };
    this.save(shard, next);
    return reportChange(row, next);
  }

  /**
   * Fresh counters from every shard (the stock read), healing any lost grant on the way, and any shard
   * that was never configured (its creation's call failed): configured now, from `terms`.
   */
  async refresh(terms: DropTerms): Promise<Change | null> {
    const ask = () => Promise.all(this.rows.map((row, shard) => this.stub(shard).exchange(row.granted)));
    let answers = await ask();
    if (answers.some((x) => x === null)) {
      await this.ensureShards(terms);
      answers = await ask();
    }
    const exchanges = answers.flatMap((x, shard) => (x === null ? [] : [[shard, x] as const]));
    const changes: Change[] = [];
    for (const [shard, x] of exchanges) {
      this.merge(shard, x.returned);
      const change = x.snapshot && this.reportSnapshot(shard, x.snapshot);
      if (change) changes.push(change);
    }
    if (changes.length === 0) return null;
    const sum = (f: (c: Change) => number) => changes.reduce((n, c) => n + f(c), 0);
    return { holds: sum((c) => c.holds), releases: sum((c) => c.releases), sales: sum((c) => c.sales) };
  }

  private reportSnapshot(shard: number, s: StockSnapshot): Change | null {
    const row = this.row(shard);
    if (s.seq <= row.seq) return null;
    const next: Row = {
      ...row,
      seq: s.seq,
      held: s.held,
      sold: s.sold,
      holdsTotal: s.holdsTotal,
      releasesTotal: s.releasesTotal,
    };
    this.save(shard, next);
    return reportChange(row, next);
  }

  /** The drop's figures from the shards' last reports. */
  totals(stock: number): { stock: number; available: number; held: number; sold: number } {
    const t = aggregate(stock, this.rows.length ? this.rows : [noCounters]);
    return { stock: t.stock, available: t.available, held: t.held, sold: t.sold };
  }
}
