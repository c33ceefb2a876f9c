import { DurableObject } from "cloudflare:workers";
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
  ReserveCall,
  ReserveResult,
  SaleCall,
  StockSnapshot,
} from "./contract";
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
import { InventoryStore, type NewHold } from "./store";

/** Reserves waiting for the next group commit beyond this answer `overloaded` (503) at once. */
export const MAX_QUEUED_RESERVES = 2000;
/**
 * A reserve is answered `overloaded` at once when its expected wait (the queue ahead of it at the
 * measured service rate) exceeds this, and rather than applied late when it waited longer than this.
 */
export const MAX_QUEUE_WAIT_MS = 100;
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
  /** Forgotten holds deleted per alarm; a field so a test can make a backlog cheap. */
  purgeBatch = PURGE_BATCH;
  private readonly reserves = new GroupCommit<ReserveCall, ReserveResult>(this, {
    apply: (calls, now) => this.applyReserves(calls, now),
    durable: async () => {
      await this.scheduleAlarm();
      await this.ctx.storage.sync();
    },
    failed: () => this.reload(),
    overloaded: { ok: false, reason: "overloaded" },
  });
  private readonly feed = new StockFeed({
    registry: () => this.store.stream,
    latest: (dropId, mint) => this.latestMessage(dropId, mint),
    send: relaySender(() => this.env.STOCK_RELAY),
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

  /** Sets the drop's terms the first time; later calls leave the live ledger alone. */
  async configure(terms: DropTerms): Promise<StockSnapshot> {
    if (this.ledger === null) {
      this.store.saveTerms(terms);
      this.reload();
    }
    return this.snapshotOf(this.requireLedger());
  }

  /** The ledger's invariants, memory against storage, and the purge's schedule; empty when all hold. */
  selfCheck(): string[] {
    return this.ledger === null ? [] : selfCheckOf(this.ledger, this.store, this.alarmAt);
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
  snapshot(): StockSnapshot | null {
    if (this.ledger === null) return null;
    this.expireNow();
    return this.snapshotOf(this.ledger);
  }

  reserve(call: ReserveCall): Promise<ReserveResult> {
    if (this.ledger === null) return Promise.resolve({ ok: false, reason: "unconfigured" });
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
    await this.ctx.storage.sync();
    return result;
  }

  /** Admin: close early. Live holds may still be committed; no new reserve succeeds. */
  async close(): Promise<StockSnapshot | null> {
    if (this.ledger === null) return null;
    const snapshot = this.atomically((l) => {
      l.terms = { ...l.terms, closed: true };
      this.store.saveTerms(l.terms);
      return this.snapshotOf(l);
    });
    await this.ctx.storage.sync();
    return snapshot;
  }

  /**
   * Expires due holds and purges forgotten ones. Safe to run twice or late: expiry is idempotent and
   * also happens lazily, and a forgotten hold reads as gone whether or not its row was purged yet.
   */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    if (this.ledger === null) return;
    this.expireNow();
    this.purge();
    await this.scheduleAlarm();
  }

  /** One batch of reserves in one transaction, their new holds inserted together at its end. */
  private applyReserves(calls: ReserveCall[], now: number): ReserveResult[] {
    return this.atomically((l, touched) => {
      const created: NewHold[] = [];
      // Keys applied in this batch, with their requests: a repeat before they are durable answers 409.
      const committing = new Map<string, string>();
      const batch = { touched, created, committing, now };
      const answers = calls.map((call) => applyReserve(this.store, l, call, batch));
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
        // The stream's version moves with what a viewer can see, in this same transaction.
        const change = changeOf(before, l, touched, this.store.takePlaced());
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
    const next = expiry === null ? forget : forget === null ? expiry : Math.min(expiry, forget);
    if (next === null || (this.alarmAt !== null && this.alarmAt <= next)) return;
    this.alarmAt = next;
    await this.ctx.storage.setAlarm(next);
  }

  private requireLedger(): Ledger {
    if (this.ledger === null) throw new Error("drop inventory used before it was configured");
    return this.ledger;
  }

  private snapshotOf(l: Ledger): StockSnapshot {
    const now = Date.now();
    return {
      stock: l.terms.stock,
      available: available(l),
      held: l.held,
      sold: l.sold,
      phase: phaseAt(l.terms, now),
      seq: this.version.seq,
      holdsTotal: this.version.holdsTotal,
      releasesTotal: this.version.releasesTotal,
      asOf: now,
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
