import { DurableObject } from "cloudflare:workers";
import { Admission, type QueueStats, queueStockOf } from "../admission/admission";
import type { JoinResult, QueueSettings, QueueSummary, TicketRecord } from "../admission/contract";
import { ADMISSION_TTL_MS, type QueueStock, type Random } from "../admission/queue";
import { cryptoRandom } from "../admission/random";
import type { StockMessage } from "../contract/stream";
import { relaySender, StockFeed } from "../stream/feed";
import { bump, changeOf, nextMessage, type StreamVersion } from "../stream/messages";
import { claim, consume, replayOf } from "./allotments";
import type {
  AdjustResult,
  ClaimCall,
  ClaimResult,
  ConsumeResult,
  HoldResult,
  NotConfigured,
  ReserveCall,
  ReserveResult,
  SaleCall,
  StockSnapshot,
} from "./contract";
import { Coordinator, type ShardExchange } from "./coordinator";
import { footprintOf, type ObjectFootprint, selfCheckOf } from "./diagnostics";
import { GroupCommit } from "./group-commit";
import { applyReserve, keyedHold } from "./keyed-reserve";
import {
  available,
  commit,
  compactExpiries,
  type DropTerms,
  expireDue,
  extend,
  find,
  type Hold,
  type Ledger,
  nextExpiry,
  release,
  restock,
  setStock,
  type Touched,
} from "./ledger";
import { phaseAt } from "./phase";
import { forgetAt } from "./retention";
import { SHORT, ShardLink, type ShardRole } from "./shard-link";
import type { ShardBooks } from "./sharding";
import { InventoryStore, type NewHold } from "./store";

/** Reserves waiting for the next group commit beyond this answer `overloaded` (503) at once. */
export const MAX_QUEUED_RESERVES = 2000;
/**
 * A reserve is answered `overloaded` at once when its expected wait (the queue ahead of it at the
 * measured service rate) exceeds this, and rather than applied late when it waited longer than this.
 */
export const MAX_QUEUE_WAIT_MS = 100;
/**
 * Holds one buyer may place on one drop in any minute. A buyer's checkout needs one; a buyer retrying a
 * declined card a few more; a script minting holds to keep units off sale, many. Exact, because the
 * count is the drop's own holds table.
 */
export const HOLDS_PER_BUYER_PER_MINUTE = 20;
/** Forgotten holds deleted per alarm (one statement); more wait for the next alarm, set at once. */
export const PURGE_BATCH = 5000;

const fresh = (): Touched => ({ holds: [] });

/**
 * One object per drop: the single source of truth for its stock. Every operation runs the pure ledger
 * synchronously, so nothing can interleave between reading stock and writing it.
 *
 * Reserves are group-committed (group-commit.ts): each caller is answered only after the storage
 * commit that holds its write is durable.
 *
 * What it keeps is bounded (retention.ts): reserve keys are looked up in SQLite, never mirrored in
 * memory, and the alarm purges ended holds, keys and all, once they are forgotten.
 *
 * Every change that a viewer can see bumps the drop's state version (`seq`, with running totals) in the
 * change's own transaction, and the feed (stream/feed.ts) publishes coalesced messages to the stock
 * stream's relays, which do the sends to viewers (docs/stream.md).
 */
export class DropInventory extends DurableObject<Env> {
  private store!: InventoryStore;
  private ledger: Ledger | null = null;
  private version: StreamVersion = { seq: 0, holdsTotal: 0, releasesTotal: 0, salesTotal: 0 };
  private alarmAt: number | null = null;
  /** When the earliest stored ended hold is forgotten: the alarm purges then. */
  private forgetDueAt: number | null = null;
  /** The queue's bounds (length, expected wait and age); fields so a test can make saturation cheap. */
  queueLimit = MAX_QUEUED_RESERVES;
  queueWaitLimitMs = MAX_QUEUE_WAIT_MS;
  /** Holds one buyer may place on the drop per minute (exact; docs/rate-limits.md); a field for tests. */
  holdsPerBuyerPerMinute: number | null = HOLDS_PER_BUYER_PER_MINUTE;
  /** Forgotten holds deleted per alarm; a field so a test can make a backlog cheap. */
  purgeBatch = PURGE_BATCH;
  /** The admission queue's shuffle and admission lifetime: fields so a test can seed one and shorten the other. */
  queueRandom: Random = cryptoRandom;
  admissionTtlMs = ADMISSION_TTL_MS;
  private readonly admission = new Admission({
    sql: () => this.ctx.storage.sql,
    random: () => this.queueRandom,
    ttlMs: () => this.admissionTtlMs,
  });
  /** Joins are group-committed like reserves: a stampede's tickets land many to a transaction. */
  private readonly joins = new GroupCommit<string, JoinResult>(this, {
    apply: (buyers, now) =>
      this.atomically(() => buyers.map((buyer) => this.admission.join(buyer, this.queueStock(), now))),
    durable: async () => {
      await this.scheduleAlarm();
      await this.ctx.storage.sync();
    },
    failed: () => this.reload(),
    overloaded: { ok: false, reason: "overloaded" },
  });
  private readonly reserves = new GroupCommit<ReserveCall, ReserveResult>(this, {
    apply: (calls, now) => this.applyReserves(calls, now),
    durable: async () => {
      await this.scheduleAlarm();
      await this.ctx.storage.sync();
    },
    failed: () => this.reload(),
    overloaded: { ok: false, reason: "overloaded" },
  });
  /** A sharded drop's own object: its coordinator (coordinator.ts); null on a shard or an unsharded drop. */
  private pool: Coordinator | null = null;
  /** One shard of a sharded drop (shard-link.ts): its books, refills and reports to the coordinator. */
  private link: ShardLink | null = null;
  private readonly feed = new StockFeed({
    registry: () => this.store.stream,
    latest: (dropId, mint) => this.latestMessage(dropId, mint),
    // A shard's only "relay" is its coordinator, which adds the shards up into the drop's one stream.
    send: (relay, message) =>
      this.link ? this.link.report(message) : relaySender(() => this.env.STOCK_RELAY)(relay, message),
    now: Date.now,
    later: (run, ms) => setTimeout(run, ms),
  });

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      this.store = new InventoryStore(ctx.storage.sql);
      this.reload();
      if (this.ledger === null) return; // never configured: touch nothing more
      this.alarmAt = await ctx.storage.getAlarm();
      await this.scheduleAlarm();
    });
  }

  /**
   * Sets the drop's terms the first time; later calls leave the live ledger alone. A drop of several
   * shards makes this object their coordinator, and (every time: it heals) configures each shard.
   */
  async configure(terms: DropTerms, layout?: { dropId: string; shards: number }): Promise<StockSnapshot> {
    if (this.ledger === null) {
      this.ctx.storage.transactionSync(() => {
        this.store.saveTerms(terms);
        if (layout && layout.shards > 1)
          Coordinator.init(this.ctx.storage.sql, layout.dropId, layout.shards, terms.stock);
      });
      this.reload();
    }
    if (this.pool) await this.pool.ensureShards(this.requireLedger().terms);
    return this.snapshotOf(this.requireLedger());
  }

  /** How many shards the drop has (1 unless this is a sharded drop's coordinator): for the gateway. */
  shardCount(): number {
    return this.pool?.shards ?? 1;
  }

  /** A shard, configured by its coordinator: the drop's terms, its own stock from its granted total. */
  configureShard(terms: DropTerms, role: ShardRole): ShardBooks {
    if (this.ledger === null) {
      this.ctx.storage.transactionSync(() => {
        this.store.saveTerms({ ...terms, stock: role.granted });
        ShardLink.init(this.ctx.storage.sql, role);
        // The coordinator is the shard's one subscriber: every change reaches it, coalesced.
        this.store.stream.saveRelay({ name: "coordinator", dropId: role.dropId, gen: 1 });
      });
      this.reload();
    }
    return this.requireLink().learn(role.granted);
  }

  /** Coordinator to shard: give back up to `want` spare units (merging the granted total first). */
  giveBack(granted: number, want: number): ShardBooks {
    return this.requireLink().giveBack(granted, want);
  }

  /** Coordinator to shard: any exchange heals a lost grant, and answers the shard's counters. */
  exchange(granted: number): ShardExchange | null {
    if (this.link === null) return null; // never configured: the coordinator configures it
    const books = this.link.learn(granted);
    this.expireNow();
    return { ...books, snapshot: this.ledger ? this.snapshotOf(this.ledger) : null };
  }

  /** Shard to coordinator: `want` more units, one attempt; answers the shard's granted total. */
  async refill(shard: number, returned: number, want: number, siblings: boolean): Promise<number> {
    const pool = this.requirePool();
    return pool.refill(this.requireLedger().terms.stock, shard, returned, want, siblings);
  }

  /**
   * Shard to coordinator: its coalesced stream message, and the buyers who placed holds since its last
   * report, whose admissions those holds used: both in one transaction, so the queue's stock and what
   * admissions speak for move together. The drop's own stream moves if the sum did.
   */
  shardReport(shard: number, message: StockMessage, buyers: string[] = []): { viewers: number } {
    if (this.ledger === null || this.pool === null) return { viewers: 1 };
    const pool = this.pool;
    const change = this.atomically(() => {
      const moved = pool.report(shard, message);
      for (const buyer of buyers) this.admission.usedBy(buyer);
      return moved;
    });
    if (change) this.bumpShared(change);
    return { viewers: 1 };
  }

  /** The ledger's invariants, memory against storage, and the purge's schedule; empty when all hold. */
  selfCheck(): string[] {
    if (this.ledger === null) return [];
    return [...selfCheckOf(this.ledger, this.store, this.alarmAt), ...this.admission.selfCheck()];
  }

  /** What the object keeps, in storage and in memory: for tests and operators, to see it stays bounded. */
  footprint(): ObjectFootprint {
    return footprintOf(this.ledger, this.store);
  }

  /**
   * A stock relay's first viewer arrived (stream/relay.ts): the relay is fed from now on, and gets the
   * drop's newest stream message; null when the drop was never configured.
   */
  subscribe(relay: string, dropId: string): StockMessage | null {
    if (this.ledger === null) return null;
    this.expireNow();
    return this.feed.subscribe(relay, dropId);
  }

  /** How many relays the drop feeds: for tests and operators. */
  relayCount(): number {
    return this.feed.relayCount();
  }

  /** Counters as of now; holds past their expiry are expired first, as the alarm would. */
  async snapshot(): Promise<StockSnapshot | null> {
    if (this.ledger === null) return null;
    // A sharded drop's read asks every shard now (the stream's reports may be 250 ms behind).
    if (this.pool) {
      const change = await this.pool.refresh(this.ledger.terms);
      if (change) this.bumpShared(change);
    }
    this.expireNow();
    this.settleQueue();
    return this.snapshotOf(this.ledger);
  }

  reserve(call: ReserveCall): Promise<ReserveResult> {
    if (this.ledger === null) return Promise.resolve({ ok: false, reason: "unconfigured" });
    // A sharded drop's coordinator takes no reserves: it tells the gateway where they go.
    if (this.pool) return Promise.resolve({ ok: false, reason: "sharded", shards: this.pool.shards });
    if (this.link) return this.link.reserve(call, (c) => this.reserves.submit(c));
    return this.reserves.submit(call);
  }

  /** The buyer's own hold as it stands now (a hold past its expiry reads as expired, alarm or not). */
  hold(holdId: string, buyer: string): Hold | null {
    const hold = this.current(holdId);
    return hold && hold.buyer === buyer ? hold : null;
  }

  /** The buyer gives the units back (cancelled, or the payment was declined). */
  async release(holdId: string, buyer: string): Promise<HoldResult> {
    return this.onOwnHold(holdId, buyer, (l, now, touched) => release(l, { holdId, now }, touched));
  }

  /** Once, while a payment is processing. */
  async extend(holdId: string, buyer: string): Promise<HoldResult> {
    return this.onOwnHold(holdId, buyer, (l, now, touched) => extend(l, { holdId, now }, touched));
  }

  /** Sells the hold's units to an order, exactly once (checkout calls this when payment succeeds). */
  async commit(holdId: string, orderRef: string): Promise<HoldResult> {
    return this.mutate((l, now, touched) => commit(l, { holdId, orderRef, now }, touched));
  }

  /** A refunded order's units go back on sale, once (the drop's restock-on-refund policy). */
  async restock(holdId: string, orderRef: string): Promise<HoldResult> {
    return this.mutate((l, now, touched) => restock(l, { holdId, orderRef, now }, touched));
  }

  /**
   * A point-of-sale device claims units for offline sales: a long hold under `pos:<device>`, kept until
   * released or expired. Idempotent by the device's claim id.
   */
  async claim(call: ClaimCall): Promise<ClaimResult> {
    if (this.ledger === null) return { ok: false, reason: "unconfigured" };
    // On a shard, a claim short of units waits for refills (a device must not see sold out early).
    if (this.link) {
      const short = (r: ClaimResult) => !r.ok && SHORT.has(r.reason);
      return this.link.withUnits(call.quantity, () => this.claimNow(call), short);
    }
    return this.claimNow(call);
  }

  private async claimNow(call: ClaimCall): Promise<ClaimResult> {
    if (this.ledger === null) return { ok: false, reason: "unconfigured" };
    const request = `claim:${call.quantity}:${call.allowPartial}:${call.ttlMs}`;
    const result = this.atomically((l, touched): ClaimResult => {
      const now = Date.now();
      const seen = keyedHold(this.store, l, { buyer: call.buyer, key: call.idempotencyKey }, touched, now);
      if (seen) {
        return seen.request === request
          ? { ok: true, hold: seen.hold, replayed: true }
          : { ok: false, reason: "idempotency_key_reused" };
      }
      const outcome = claim(l, { ...call, now }, touched);
      if (!outcome.ok) return outcome;
      this.store.insertHolds([{ hold: outcome.hold, reserveKey: call.idempotencyKey, request }]);
      return { ok: true, hold: outcome.hold, replayed: false };
    });
    await this.scheduleAlarm();
    await this.ctx.storage.sync();
    return result;
  }

  /** Offline sales, each consumed once from its allotment (or, once that ended, from open stock). */
  async consume(sales: SaleCall[]): Promise<ConsumeResult> {
    const first = await this.consumeNow(sales);
    if (this.link === null || !first.ok) return first;
    // On a shard, sales refused for want of open stock wait for one refill and are tried again.
    const short = sales.flatMap((_sale, i) => {
      const outcome = first.outcomes[i];
      return outcome && !outcome.ok && outcome.reason === "sold_out" ? [i] : [];
    });
    if (short.length === 0) return first;
    const units = short.reduce((n, i) => n + (sales[i]?.quantity ?? 0), 0);
    const retry = short.map((i) => sales[i] as SaleCall);
    await this.link.refill(units);
    const again = await this.consumeNow(retry);
    if (!again.ok) return first;
    const outcomes = [...first.outcomes];
    short.forEach((i, k) => {
      const outcome = again.outcomes[k];
      if (outcome) outcomes[i] = outcome;
    });
    return { ok: true, outcomes };
  }

  private async consumeNow(sales: SaleCall[]): Promise<ConsumeResult> {
    if (this.ledger === null) return { ok: false, reason: "unconfigured" };
    const outcomes = this.atomically((l, touched) => {
      // New sales are inserted together at the end; a repeat of one further down the list finds it here.
      const made = new Map<string, Hold>();
      const answers = sales.map((sale) => {
        const earlier = made.get(sale.saleId);
        if (earlier) return replayOf(earlier);
        const outcome = consume(l, { ...sale, now: Date.now() }, touched);
        if (outcome.ok && !outcome.replayed) made.set(sale.saleId, outcome.sale);
        return outcome;
      });
      this.store.insertHolds(
        [...made.values()].map((hold) => ({ hold, reserveKey: hold.id, request: "pos_sale" })),
      );
      return answers;
    });
    await this.ctx.storage.sync();
    return { ok: true, outcomes };
  }

  /** An allotment as it stands now (expired if its time is up), or null. */
  allotment(id: string): Hold | null {
    const hold = this.current(id);
    return hold?.kind === "allotment" ? hold : null;
  }

  /** Admin: new terms. Stock may shrink only down to what is held or sold. */
  async adjust(changes: Partial<Omit<DropTerms, "closed">>): Promise<AdjustResult> {
    if (this.ledger === null) return { ok: false, reason: "unconfigured" };
    // A sharded drop: terms go to every shard, and stock shrinks only to what they cannot give back.
    const refused = this.pool ? await this.pool.adjust(changes, this.ledger.terms.stock) : null;
    if (refused) return refused;
    const result = this.atomically((l, touched): AdjustResult => {
      expireDue(l, Date.now(), touched);
      if (changes.stock !== undefined) {
        const set = setStock(l, changes.stock);
        if (!set.ok) return set;
      }
      l.terms = { ...l.terms, ...changes };
      this.store.saveTerms(l.terms);
      return { ok: true, snapshot: this.snapshotOf(l) };
    });
    // A start moved earlier brings the queue's wake-up (the shuffle) with it.
    await this.scheduleAlarm();
    await this.ctx.storage.sync();
    return result;
  }

  /** Admin: close early. Live holds may still be committed; no new reserve succeeds. */
  async close(): Promise<StockSnapshot | null> {
    if (this.ledger === null) return null;
    await this.pool?.close();
    const snapshot = this.atomically((l) => {
      l.terms = { ...l.terms, closed: true };
      this.store.saveTerms(l.terms);
      return this.snapshotOf(l);
    });
    await this.ctx.storage.sync();
    return snapshot;
  }

  /** The queue's settings, pushed by the worker when the drop is created or its queue changes. */
  async configureQueue(settings: QueueSettings): Promise<QueueSummary | null | NotConfigured> {
    if (this.ledger === null) return { ok: false, reason: "unconfigured" };
    this.atomically(() => this.admission.configure(settings));
    await this.scheduleAlarm();
    return this.admission.summary(this.queueStock(), Date.now());
  }

  /** A queue ticket for the buyer: a new one, or the one they hold (docs/admission.md). */
  async joinQueue(buyer: string): Promise<JoinResult> {
    if (this.ledger === null || !this.admission.configured()) return { ok: false, reason: "unconfigured" };
    return this.joins.submit(buyer);
  }

  /** The buyer's own ticket as it reads now (admission is lazy: reading brings the queue to now). */
  async ticket(ticketId: string, buyer: string): Promise<TicketRecord | null | NotConfigured> {
    if (this.ledger === null || !this.admission.configured()) return { ok: false, reason: "unconfigured" };
    const record = this.atomically(() =>
      this.admission.ticket(ticketId, buyer, this.queueStock(), Date.now()),
    );
    await this.scheduleAlarm();
    return record;
  }

  /** The queue's inner figures (spoken-for units, live admissions) beside available: tests and operators. */
  queueStats(): QueueStats | null {
    if (this.ledger === null) return null;
    return this.admission.stats(this.queueStock(), Date.now());
  }

  /**
   * Expires due holds and purges forgotten ones. Safe to run twice or late: expiry is idempotent and
   * also happens lazily, and a forgotten hold reads as gone whether or not its row was purged yet.
   */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    if (this.ledger === null) return;
    this.expireNow();
    this.settleQueue();
    this.purge();
    await this.scheduleAlarm();
  }

  /** One batch of reserves in one transaction, their new holds inserted together at its end. */
  private applyReserves(calls: ReserveCall[], now: number): ReserveResult[] {
    return this.atomically((l, touched) => {
      const created: NewHold[] = [];
      // Keys applied in this batch, with their requests: a repeat before they are durable answers 409.
      const committing = new Map<string, string>();
      const idSuffix = this.link?.suffix ?? "";
      const holdsPerMinute = this.holdsPerBuyerPerMinute;
      const batch = { touched, created, committing, now, idSuffix, holdsPerMinute };
      const answers = calls.map((call) => applyReserve(this.store, l, call, batch));
      // A new hold uses its buyer's admission. An unsharded drop's queue is right here; a shard tells its
      // coordinator with the report that carries the same hold's units, so the coordinator's queue never
      // sees the units gone while the admission still speaks for them, or the other way round.
      calls.forEach((call, i) => {
        const answer = answers[i];
        if (!answer?.ok || answer.replayed) return;
        if (this.link) this.link.heldBy(call.buyer);
        else this.admission.usedBy(call.buyer);
      });
      this.store.insertHolds(created);
      return answers;
    });
  }

  /** A hold as it stands now (expired if its time is up), or null; a forgotten one is gone. */
  private current(id: string): Hold | null {
    if (this.ledger === null) return null;
    this.expireNow();
    return find(this.ledger, id, fresh(), Date.now()) ?? null;
  }

  private async onOwnHold(
    holdId: string,
    buyer: string,
    op: (l: Ledger, now: number, touched: Touched) => HoldResult,
  ): Promise<HoldResult> {
    if (this.ledger !== null && this.hold(holdId, buyer) === null)
      return { ok: false, reason: "hold_not_found" };
    return this.mutate(op);
  }

  private async mutate(op: (l: Ledger, now: number, touched: Touched) => HoldResult): Promise<HoldResult> {
    if (this.ledger === null) return { ok: false, reason: "unconfigured" };
    const result = this.atomically((l, touched) => op(l, Date.now(), touched));
    await this.scheduleAlarm();
    await this.ctx.storage.sync();
    return result;
  }

  /**
   * Runs a ledger operation and writes back the holds it touched, in one storage transaction. If any
   * write fails the transaction rolls back, and so does the in-memory ledger: it is reloaded from storage.
   */
  private atomically<T>(op: (l: Ledger, touched: Touched) => T): T {
    const l = this.requireLedger();
    let changed = false;
    try {
      const result = this.ctx.storage.transactionSync(() => {
        const touched = fresh();
        const before = { held: l.held, sold: l.sold, terms: l.terms };
        this.store.takePlaced();
        const result = op(l, touched);
        this.store.saveTouched(touched);
        // A hold that ended here is forgotten later; the alarm must come back for it.
        for (const hold of touched.holds) this.forgetBy(forgetAt(hold));
        // The queue is brought to now (admitting, lapsing) in the same transaction as what moved it.
        const queueMoved = this.admission.settle(this.queueStock(), Date.now());
        // The stream's version moves with what a viewer can see, in this same transaction.
        const change =
          changeOf(before, l, touched, this.store.takePlaced()) ??
          (queueMoved ? { holds: 0, releases: 0, sales: 0 } : null);
        if (change !== null) {
          this.version = bump(this.version, change);
          this.store.stream.saveVersion(this.version);
          changed = true;
        }
        return result;
      });
      if (changed) this.feed.changed();
      return result;
    } catch (error) {
      this.reload();
      throw error;
    }
  }

  /** Expires due holds, writing only when some are due: reads call this, and most find nothing. */
  private expireNow(): void {
    const l = this.ledger;
    const due = l ? nextExpiry(l) : null;
    if (due !== null && due <= Date.now())
      this.atomically((ledger, touched) => expireDue(ledger, Date.now(), touched));
  }

  /** Brings the queue to now (lazy admission), writing only when it moved. */
  private settleQueue(): void {
    if (this.admission.enabled()) this.atomically(() => undefined);
  }

  /**
   * Deletes forgotten holds once they are due, a bounded number at a time: if more are left, the next
   * due time is already past, so the alarm comes straight back for them.
   */
  private purge(): void {
    const now = Date.now();
    if (this.forgetDueAt === null || this.forgetDueAt > now) return;
    this.store.purge(now, this.purgeBatch);
    this.forgetDueAt = this.store.nextForget();
  }

  private forgetBy(at: number | null): void {
    if (at !== null && (this.forgetDueAt === null || at < this.forgetDueAt)) this.forgetDueAt = at;
  }

  /** Memory follows storage: after a start, or a failed write that storage rolled back. */
  private reload(): void {
    this.ledger = this.store.load();
    const sql = this.ctx.storage.sql;
    this.pool = this.ledger && Coordinator.load(sql, this.env.DROP_INVENTORY);
    this.link =
      this.ledger &&
      ShardLink.load(sql, {
        atomically: (op) => this.atomically(op),
        ledger: () => this.ledger,
        namespace: this.env.DROP_INVENTORY,
      });
    this.admission.reload();
    this.version = this.store.stream.version();
    this.forgetDueAt = this.store.nextForget();
  }

  /** Keeps the alarm at the earliest live hold's expiry, or the next purge if that comes first. */
  private async scheduleAlarm(): Promise<void> {
    const l = this.ledger;
    if (l === null) return;
    compactExpiries(l);
    const expiry = nextExpiry(l);
    const forget = this.forgetDueAt;
    const queue = this.admission.nextChange(this.queueStock(), Date.now());
    const times = [expiry, forget, queue].filter((t) => t !== null);
    const next = times.length === 0 ? null : Math.min(...times);
    if (next === null || (this.alarmAt !== null && this.alarmAt <= next)) return;
    this.alarmAt = next;
    await this.ctx.storage.setAlarm(next);
  }

  private requireLedger(): Ledger {
    if (this.ledger === null) throw new Error("drop inventory used before it was configured");
    return this.ledger;
  }

  /** The drop's counters, read from the ledger; a sharded drop's coordinator adds up its shards'. */
  private counts(): { stock: number; available: number; held: number; sold: number } {
    const l = this.requireLedger();
    if (this.pool) return this.pool.totals(l.terms.stock);
    return { stock: l.terms.stock, available: available(l), held: l.held, sold: l.sold };
  }

  /** The coordinator's stream version moves with what its shards reported. */
  private bumpShared(change: { holds: number; releases: number; sales: number }): void {
    this.version = bump(this.version, change);
    this.store.stream.saveVersion(this.version);
    this.feed.changed();
  }

  private requirePool(): Coordinator {
    if (this.pool === null) throw new Error("not a sharded drop's coordinator");
    return this.pool;
  }

  private requireLink(): ShardLink {
    if (this.link === null) throw new Error("not a shard of a sharded drop");
    return this.link;
  }

  /** What the admission queue needs of the drop as of now. */
  private queueStock(): QueueStock {
    const now = Date.now();
    return queueStockOf(this.requireLedger().terms, this.counts().available, now);
  }

  private snapshotOf(l: Ledger): StockSnapshot {
    const now = Date.now();
    return {
      ...this.counts(),
      phase: phaseAt(l.terms, now),
      seq: this.version.seq,
      holdsTotal: this.version.holdsTotal,
      releasesTotal: this.version.releasesTotal,
      asOf: now,
      queue: this.admission.summary(this.queueStock(), now),
    };
  }

  /**
   * The drop's stream message: the last one published, or (with `mint`, or when none was ever
   * published) a new one if the state moved since.
   */
  private latestMessage(dropId: string, mint: boolean): StockMessage | null {
    const l = this.ledger;
    if (l === null) return null;
    const last = this.store.stream.published();
    if (last !== null && (last.message.seq === this.version.seq || !mint)) return last.message;
    const next = nextMessage(dropId, this.version, this.snapshotOf(l), last);
    this.store.stream.savePublished(next);
    return next.message;
  }
}
