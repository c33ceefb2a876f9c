import { DurableObject } from "cloudflare:workers";
import { newId } from "../lib/ids";
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
import { ledgerViolations } from "./invariants";
import {
  available,
  commit,
  type DropTerms,
  expireDue,
  extend,
  type Hold,
  type Ledger,
  nextExpiry,
  phaseAt,
  release,
  reserve,
  restock,
  setStock,
  type Touched,
} from "./ledger";
import { InventoryStore, type NewHold, type ReserveKey, reserveKeyId } from "./store";

/** Reserves waiting for the next group commit beyond this answer `overloaded` (503) at once. */
export const MAX_QUEUED_RESERVES = 2000;
/** A reserve that waited longer than this is answered `overloaded` rather than applied late. */
export const MAX_QUEUE_WAIT_MS = 2000;

interface Queued {
  call: ReserveCall;
  queuedAt: number;
  resolve: (result: ReserveResult) => void;
  reject: (error: unknown) => void;
}

const fresh = (): Touched => ({ holds: [] });

/**
 * One object per drop: the single source of truth for its stock. Every operation runs the pure ledger
 * synchronously, so nothing can interleave between reading stock and writing it.
 *
 * Reserves are group-committed: while one batch's writes are being made durable, new reserves queue;
 * the next batch applies them all in one synchronous pass and one storage commit, and each caller is
 * answered only after the commit that holds its write is durable.
 */
export class DropInventory extends DurableObject<Env> {
  private store!: InventoryStore;
  private ledger: Ledger | null = null;
  /** Reserve keys seen, as stored with their holds; read on every reserve, so kept in memory. */
  private keys = new Map<string, ReserveKey>();
  private queue: Queued[] = [];
  private draining = false;
  /** Reserve keys applied in the batch now committing: a repeat before it is durable answers 409. */
  private committing = new Set<string>();
  private alarmAt: number | null = null;
  /** The queue's bounds (length, age); fields so a test can make saturation cheap. */
  queueLimit = MAX_QUEUED_RESERVES;
  queueWaitLimitMs = MAX_QUEUE_WAIT_MS;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      this.store = new InventoryStore(ctx.storage.sql);
      this.reload();
      this.alarmAt = await ctx.storage.getAlarm();
      await this.scheduleExpiry();
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

  /**
   * The ledger's invariants, and whether memory still agrees with what storage would load; empty when
   * all hold. For tests and operators.
   */
  selfCheck(): string[] {
    if (this.ledger === null) return [];
    const problems = ledgerViolations(this.ledger);
    const stored = this.store.load();
    const counters = (l: Ledger | null) =>
      l &&
      JSON.stringify([
        l.held,
        l.sold,
        [...l.live.keys()].sort(),
        [...l.buyers].filter(([, units]) => units !== 0).sort(),
      ]);
    if (counters(stored) !== counters(this.ledger)) problems.push("memory differs from storage");
    return problems;
  }

  /** Counters as of now; holds past their expiry are expired first, as the alarm would. */
  snapshot(): StockSnapshot | null {
    if (this.ledger === null) return null;
    this.expireNow();
    return this.snapshotOf(this.ledger);
  }

  reserve(call: ReserveCall): Promise<ReserveResult> {
    if (this.ledger === null) return Promise.resolve({ ok: false, reason: "unconfigured" });
    if (this.queue.length >= this.queueLimit) return Promise.resolve({ ok: false, reason: "overloaded" });
    return new Promise((resolve, reject) => {
      this.queue.push({ call, queuedAt: Date.now(), resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  /** The buyer's own hold as it stands now (a hold past its expiry reads as expired, alarm or not). */
  hold(holdId: string, buyer: string): Hold | null {
    this.expireNow();
    const hold = this.ledger?.live.get(holdId) ?? this.store.hold(holdId);
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
    const keyId = reserveKeyId(call.buyer, call.idempotencyKey);
    const result = this.atomically((l, touched): ClaimResult => {
      const seen = this.keys.get(keyId);
      if (seen) {
        const hold =
          seen.request === request ? (l.live.get(seen.holdId) ?? this.store.hold(seen.holdId)) : undefined;
        return hold ? { ok: true, hold, replayed: true } : { ok: false, reason: "idempotency_key_reused" };
      }
      const outcome = claim(l, { ...call, now: Date.now() }, touched);
      if (!outcome.ok) return outcome;
      this.store.insertHolds([{ hold: outcome.hold, reserveKey: call.idempotencyKey, request }]);
      this.keys.set(keyId, { request, holdId: outcome.hold.id });
      return { ok: true, hold: outcome.hold, replayed: false };
    });
    await this.scheduleExpiry();
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
    this.expireNow();
    const hold = this.ledger?.live.get(id) ?? this.store.hold(id);
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

  /** Expires due holds. Safe to run twice or late: expiry is idempotent and also happens lazily. */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    this.expireNow();
    await this.scheduleExpiry();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0);
        try {
          const results = this.atomically((l, touched) => {
            const created: NewHold[] = [];
            const now = Date.now();
            const answers = batch.map(
              (q): ReserveResult =>
                now - q.queuedAt > this.queueWaitLimitMs
                  ? { ok: false, reason: "overloaded" }
                  : this.applyReserve(l, q.call, touched, created),
            );
            this.store.insertHolds(created);
            return answers;
          });
          await this.scheduleExpiry();
          await this.ctx.storage.sync();
          for (const [i, q] of batch.entries()) q.resolve(results[i] ?? { ok: false, reason: "overloaded" });
        } catch (error) {
          // Nothing in this batch is known durable: fail every caller (the worker answers 5xx) and
          // start again from what storage holds.
          this.reload();
          for (const q of batch) q.reject(error);
        } finally {
          this.committing.clear();
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private applyReserve(l: Ledger, call: ReserveCall, touched: Touched, created: NewHold[]): ReserveResult {
    const request = `${call.quantity}:${call.allowPartial}`;
    const keyId = reserveKeyId(call.buyer, call.idempotencyKey);
    const seen = this.keys.get(keyId);
    if (seen) {
      if (seen.request !== request) return { ok: false, reason: "idempotency_key_reused" };
      if (this.committing.has(keyId)) return { ok: false, reason: "idempotency_in_flight" };
      const hold = l.live.get(seen.holdId) ?? this.store.hold(seen.holdId);
      if (hold) return { ok: true, hold, replayed: true };
    }
    const outcome = reserve(l, { holdId: newId("hold"), ...call, now: Date.now() }, touched);
    if (!outcome.ok) return { ok: false, reason: outcome.reason };
    // Inserted with its key, in one statement with the batch's other new holds.
    created.push({ hold: outcome.hold, reserveKey: call.idempotencyKey, request });
    this.keys.set(keyId, { request, holdId: outcome.hold.id });
    this.committing.add(keyId);
    return { ok: true, hold: outcome.hold, replayed: false };
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
    await this.scheduleExpiry();
    await this.ctx.storage.sync();
    return result;
  }

  /**
   * Runs a ledger operation and writes back the holds it touched, in one storage transaction. If any
   * write fails the transaction rolls back, and so does the in-memory ledger: it is reloaded from storage.
   */
  private atomically<T>(op: (l: Ledger, touched: Touched) => T): T {
    const l = this.requireLedger();
    try {
      return this.ctx.storage.transactionSync(() => {
        const touched = fresh();
        const result = op(l, touched);
        this.store.saveTouched(touched);
        return result;
      });
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

  /** Memory follows storage: after a start, or a failed write that storage rolled back. */
  private reload(): void {
    this.ledger = this.store.load();
    this.keys = this.store.reserveKeys();
  }

  /** Keeps the alarm at the earliest live hold's expiry. */
  private async scheduleExpiry(): Promise<void> {
    const next = this.ledger ? nextExpiry(this.ledger) : null;
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
      asOf: now,
    };
  }
}
