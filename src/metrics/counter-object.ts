/**
 * One shard of a creator's exposure counters (counters.ts): counts arrive by RPC from requests that do
 * not wait for them, are summed into this object's SQLite (`pending`, one row per group), and an alarm
 * flushes them to D1's `exposure_counts` every FLUSH_INTERVAL_MS.
 *
 * A flush moves `pending` into `inflight` under a new flush id (one storage transaction), sends
 * `inflight` as one D1 batch that applies only if that flush id's marker is absent (and writes it),
 * then clears `inflight`. A crash or a lost answer between D1 and the clearing resends the same flush
 * id, which D1 then skips: each count lands exactly once. Counts that arrive during a flush wait in
 * `pending` for the next one.
 */
import { DurableObject } from "cloudflare:workers";
import { randomToken } from "../lib/crypto";
import {
  type Exposure,
  type ExposureKind,
  FLUSH_INTERVAL_MS,
  FLUSH_MAX_GROUPS,
  flushStatements,
  groupKey,
  TEST_FLUSH_INTERVAL_MS,
} from "./counters";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS pending (
  key TEXT PRIMARY KEY,
  creator_id TEXT NOT NULL, day TEXT NOT NULL, kind TEXT NOT NULL, offer_id TEXT NOT NULL,
  drop_id TEXT NOT NULL, source TEXT NOT NULL, experiment_id TEXT NOT NULL, experiment_arm TEXT NOT NULL,
  count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS inflight (
  key TEXT PRIMARY KEY,
  creator_id TEXT NOT NULL, day TEXT NOT NULL, kind TEXT NOT NULL, offer_id TEXT NOT NULL,
  drop_id TEXT NOT NULL, source TEXT NOT NULL, experiment_id TEXT NOT NULL, experiment_arm TEXT NOT NULL,
  count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);`;

const GROUP_COLUMNS = "creator_id, day, kind, offer_id, drop_id, source, experiment_id, experiment_arm";

type GroupRow = {
  creator_id: string;
  day: string;
  kind: string;
  offer_id: string;
  drop_id: string;
  source: string;
  experiment_id: string;
  experiment_arm: string;
  count: number;
};

export interface FlushResult {
  /** Groups written to D1 by this call (0 when nothing was waiting). */
  flushed: number;
  /** Groups still waiting (a backlog larger than one batch, or counts that arrived meanwhile). */
  pending: number;
}

export class ExposureCounter extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private alarmAt: number | null = null;
  private flushing: Promise<FlushResult> | null = null;
  private readonly interval: number;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
    this.interval = env.ENVIRONMENT === "test" ? TEST_FLUSH_INTERVAL_MS : FLUSH_INTERVAL_MS;
    void ctx.blockConcurrencyWhile(async () => {
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  /** Adds counts (synchronously, in this object's storage) and makes sure a flush is scheduled. */
  async add(shard: string, events: Exposure[]): Promise<void> {
    const upsert = `INSERT INTO pending (key, ${GROUP_COLUMNS}, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (key) DO UPDATE SET count = count + excluded.count`;
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("INSERT OR IGNORE INTO meta (k, v) VALUES ('shard', ?)", shard);
      for (const e of events) {
        if (!(Number.isSafeInteger(e.count) && e.count > 0)) continue;
        this.sql.exec(
          upsert,
          groupKey(e),
          e.creatorId,
          e.day,
          e.kind,
          e.offerId,
          e.dropId,
          e.source,
          e.experimentId,
          e.experimentArm,
          e.count,
        );
      }
    });
    await this.schedule(Date.now() + this.interval);
  }

  /** Flushes now (the alarm's work; tests call it to avoid waiting). Concurrent calls share one flush. */
  async flush(): Promise<FlushResult> {
    if (this.flushing === null) {
      this.flushing = this.flushOnce().finally(() => {
        this.flushing = null;
      });
    }
    return this.flushing;
  }

  /** What is waiting, for tests and operators. */
  waiting(): { pending: number; inflight: number } {
    const count = (table: string) => Number(this.sql.exec(`SELECT count(*) AS n FROM ${table}`).one().n ?? 0);
    return { pending: count("pending"), inflight: count("inflight") };
  }

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    try {
      const result = await this.flush();
      // A backlog larger than one batch goes straight on; new counts wait the usual interval.
      if (result.pending > 0) await this.schedule(Date.now() + (result.flushed > 0 ? 0 : this.interval));
    } catch (error) {
      // D1 unavailable: everything stays in storage (inflight keeps its flush id) and is sent again.
      console.error(JSON.stringify({ exposureFlush: String(error) }));
      await this.schedule(Date.now() + this.interval);
    }
  }

  private async schedule(at: number): Promise<void> {
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }

  private async flushOnce(): Promise<FlushResult> {
    let flushed = 0;
    if (this.rows("inflight").length === 0) this.startFlush();
    const groups = this.rows("inflight");
    const flushId = this.meta("flush_id");
    const shard = this.meta("shard");
    const [first] = groups;
    if (first !== undefined && flushId !== null && shard !== null) {
      await this.env.DB.batch(
        flushStatements(this.env.DB, { creatorId: first.creatorId, shard, flushId }, groups),
      );
      this.sql.exec("DELETE FROM inflight");
      flushed = groups.length;
    }
    return { flushed, pending: this.waiting().pending };
  }

  /** Moves up to FLUSH_MAX_GROUPS pending groups into `inflight` under a new flush id, in one transaction. */
  private startFlush(): void {
    this.ctx.storage.transactionSync(() => {
      const keys = this.sql
        .exec<{ key: string }>("SELECT key FROM pending ORDER BY key LIMIT ?", FLUSH_MAX_GROUPS)
        .toArray()
        .map((r) => r.key);
      if (keys.length === 0) return;
      for (const key of keys) {
        this.sql.exec("INSERT INTO inflight SELECT * FROM pending WHERE key = ?", key);
        this.sql.exec("DELETE FROM pending WHERE key = ?", key);
      }
      this.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('flush_id', ?)", `flush_${randomToken(16)}`);
    });
  }

  private rows(table: "pending" | "inflight"): Exposure[] {
    return this.sql
      .exec<GroupRow>(`SELECT ${GROUP_COLUMNS}, count FROM ${table}`)
      .toArray()
      .map((r) => ({
        creatorId: r.creator_id,
        day: r.day,
        kind: r.kind as ExposureKind,
        offerId: r.offer_id,
        dropId: r.drop_id,
        source: r.source,
        experimentId: r.experiment_id,
        experimentArm: r.experiment_arm,
        count: r.count,
      }));
  }

  private meta(k: string): string | null {
    const [row] = this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", k).toArray();
    return row?.v ?? null;
  }
}
