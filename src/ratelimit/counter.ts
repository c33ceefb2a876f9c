/**
 * RateCounter: the exact layer's counters, one object per key (`ip:<address>`, `member:<creator>:<email>`,
 * `buyer:<id>`), holding a fixed window per policy. The window arithmetic is window.ts.
 *
 * Windows live in memory, and a durable policy's also in SQLite: a failure count (sign-in, refresh)
 * must survive the object being evicted, or an attacker pausing for it would start afresh; a quote
 * count need not (an active flood keeps its object alive), and skipping the write keeps the hot quote
 * path to one in-memory RPC. An alarm deletes durable windows that ended, so a key that stops calling
 * leaves nothing behind.
 */
import { DurableObject } from "cloudflare:workers";
import { type HitResult, hit, type WindowState } from "./window";

const SCHEMA = `CREATE TABLE IF NOT EXISTS windows (
  policy TEXT PRIMARY KEY, start INTEGER NOT NULL, count INTEGER NOT NULL, window_ms INTEGER NOT NULL
)`;

type Row = { policy: string; start: number; count: number; window_ms: number };

export interface HitOptions {
  /** The worker's clock, so tests can move it (default: this object's). */
  now?: number;
  /** 1 counts, 0 only looks, -1 gives back a hit that turned out not to count (a success). */
  cost?: number;
  /** Keep the window in storage too (failure counts); default true. */
  durable?: boolean;
}

export class RateCounter extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly windows = new Map<string, WindowState>();
  private alarmSet: boolean | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
    for (const row of this.sql.exec<Row>("SELECT policy, start, count, window_ms FROM windows")) {
      this.windows.set(row.policy, { start: row.start, count: row.count });
    }
  }

  /** Counts a hit of `policy` and answers whether it is within `limit` per `windowMs`. Single-threaded per key, so exact. */
  async hit(policy: string, limit: number, windowMs: number, options: HitOptions = {}): Promise<HitResult> {
    const { now = Date.now(), cost = 1, durable = true } = options;
    const stored = this.windows.get(policy);
    if (cost < 0) {
      // Given back only to the window the hit was counted in (`now` is that hit's time): once it has
      // ended, the hit is gone anyway, and the next window must not start with a credit.
      if (stored === undefined || now < stored.start || now >= stored.start + windowMs) {
        return { ok: true, remaining: limit, resetMs: 1 };
      }
      const next = { start: stored.start, count: Math.max(0, stored.count + cost) };
      this.save(policy, next, windowMs, durable);
      return { ok: true, remaining: Math.max(0, limit - next.count), resetMs: 1 };
    }
    const { next, result } = hit(stored, now, limit, windowMs, cost);
    if (next.count !== stored?.count || next.start !== stored?.start) {
      this.save(policy, next, windowMs, durable);
      if (durable) await this.scheduleCleanup(windowMs);
    }
    return result;
  }

  private save(policy: string, next: WindowState, windowMs: number, durable: boolean): void {
    this.windows.set(policy, next);
    if (!durable) return;
    this.sql.exec(
      `INSERT INTO windows (policy, start, count, window_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (policy) DO UPDATE SET start = excluded.start, count = excluded.count,
         window_ms = excluded.window_ms`,
      policy,
      next.start,
      next.count,
      windowMs,
    );
  }

  /**
   * One alarm at a time, on the real clock, a window-length after the first durable write; the alarm
   * deletes what ended and sets the next one for what is left.
   */
  private async scheduleCleanup(windowMs: number): Promise<void> {
    this.alarmSet ??= (await this.ctx.storage.getAlarm()) !== null;
    if (this.alarmSet) return;
    await this.ctx.storage.setAlarm(Date.now() + windowMs);
    this.alarmSet = true;
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    this.alarmSet = false;
    const ended = this.sql
      .exec<{ policy: string }>("DELETE FROM windows WHERE start + window_ms <= ? RETURNING policy", now)
      .toArray();
    for (const { policy } of ended) this.windows.delete(policy);
    const [next] = this.sql
      .exec<{ at: number | null }>("SELECT max(start + window_ms) AS at FROM windows")
      .toArray();
    if (next?.at == null) return;
    await this.ctx.storage.setAlarm(Math.max(now + 1000, next.at));
    this.alarmSet = true;
  }
}
