/**
 * The admission queue inside the drop's object (docs/admission.md): the pure machine (queue.ts) over
 * its own SQLite rows (store.ts). The object calls it inside its storage transactions; `settle`, at the
 * end of each, brings the queue to now, writes what changed, and says whether a viewer would see a
 * difference, so the object bumps the stream's `seq` in that same transaction.
 */
import type { DropTerms } from "../inventory/ledger";
import { newId } from "../lib/ids";
import type { JoinResult, TicketRecord } from "./contract";
import {
  advance,
  join,
  loadQueue,
  newQueue,
  nextChange,
  type QueueSettings,
  type QueueState,
  type QueueStateName,
  type QueueStock,
  type QueueSummary,
  queueViolations,
  type Random,
  readingOf,
  stateOf,
  summaryOf,
  type Ticket,
  use,
} from "./queue";
import { AdmissionStore } from "./store";

/** While admitting, the object wakes about this often to admit the next viewers and publish them. */
export const ADMISSION_TICK_MS = 1000;

/** What the queue needs of the drop at `now`: its available units and the terms that shape admission. */
export const queueStockOf = (terms: DropTerms, available: number, now: number): QueueStock => ({
  available,
  startsAt: terms.startsAt,
  perBuyerLimit: terms.perBuyerLimit,
  selling: !terms.closed && (terms.endsAt === null || now < terms.endsAt),
});

export interface QueueStats extends QueueSummary {
  available: number;
  /** Units live admissions speak for: never more than `available` unless units left by another path. */
  spokenFor: number;
  live: number;
}

export interface AdmissionHost {
  sql: () => SqlStorage;
  random: () => Random;
  ttlMs: () => number;
}

export class Admission {
  private q: QueueState | null = null;
  private readonly store: AdmissionStore;
  /** Tickets changed in the current transaction, written by `settle`. */
  private touched: Ticket[] = [];
  private dirty = false;
  private lastState: QueueStateName | null = null;

  constructor(private readonly host: AdmissionHost) {
    this.store = new AdmissionStore(host.sql);
  }

  /** Whether the worker ever configured the queue here (else the gateway heals it from D1). */
  configured(): boolean {
    return this.q !== null;
  }

  enabled(): boolean {
    return this.q?.settings.enabled === true;
  }

  /** Memory follows storage: after a start, or a transaction that storage rolled back. */
  reload(): void {
    this.store.reset();
    const stored = this.store.load();
    this.q = stored ? loadQueue(stored.settings, stored, stored.tickets) : null;
    this.touched = [];
    this.dirty = false;
    this.lastState = null;
  }

  configure(settings: QueueSettings): void {
    this.store.saveSettings(settings);
    if (this.q === null) this.q = newQueue(settings);
    else this.q.settings = settings;
    this.dirty = true;
  }

  join(buyer: string, stock: QueueStock, now: number): JoinResult {
    const q = this.q;
    if (q === null) return { ok: false, reason: "unconfigured" };
    if (!q.settings.enabled) return { ok: false, reason: "queue_not_enabled" };
    // Before (the start's shuffle comes first) and after (a viewer who finds no line is admitted at once).
    this.advance(stock, now);
    const { ticket, created } = join(q, { id: newId("queueTicket"), buyer, now }, this.touched);
    if (created) this.dirty = true;
    this.advance(stock, now);
    return { ok: true, ticket: this.record(q, ticket, stock, now), created };
  }

  /** The buyer's own ticket as it reads now, or null (another buyer's ticket is nobody's business). */
  ticket(id: string, buyer: string, stock: QueueStock, now: number): TicketRecord | null {
    const q = this.q;
    const ticket = q?.tickets.get(id);
    if (q === null || ticket === undefined || ticket.buyer !== buyer) return null;
    this.advance(stock, now);
    return this.record(q, ticket, stock, now);
  }

  /** The ticket's buyer placed a hold (told by the worker, or seen by the reserve itself). */
  used(ticketId: string): void {
    if (this.q && use(this.q, this.q.tickets.get(ticketId), this.touched)) this.dirty = true;
  }

  usedBy(buyer: string): void {
    if (this.q && use(this.q, this.q.byBuyer.get(buyer), this.touched)) this.dirty = true;
  }

  /**
   * At the end of each of the drop's transactions: the queue brought to now and its changes written.
   * True when a viewer would see a difference (a join, an admission, a lapse, a new state).
   */
  settle(stock: QueueStock, now: number): boolean {
    const q = this.q;
    if (q === null) return false;
    this.advance(stock, now);
    const wrote = this.touched.length > 0;
    if (wrote) {
      this.store.saveTickets(this.touched);
      this.store.saveProgress(q.shuffled, q.admittedThrough);
      this.touched = [];
    }
    const state = stateOf(q, stock, now);
    const moved = this.dirty || wrote || (this.lastState !== null && state !== this.lastState);
    this.dirty = false;
    this.lastState = state;
    return q.settings.enabled && moved;
  }

  /** What the stream and the stock read carry; null while the queue is off. */
  summary(stock: QueueStock, now: number): QueueSummary | null {
    return this.q?.settings.enabled ? summaryOf(this.q, stock, now) : null;
  }

  /** When the object must wake for the queue (the start, a lapse, the next admissions), or null. */
  nextChange(stock: QueueStock, now: number): number | null {
    return this.q ? nextChange(this.q, stock, now, ADMISSION_TICK_MS) : null;
  }

  /** The queue's inner figures with the drop's available units, read together: for tests and operators. */
  stats(stock: QueueStock, now: number): QueueStats | null {
    const q = this.q;
    if (q === null) return null;
    return {
      ...summaryOf(q, stock, now),
      available: stock.available,
      spokenFor: q.spokenFor,
      live: q.live.size,
    };
  }

  /** The queue's invariants, and whether memory still agrees with what storage would load. */
  selfCheck(): string[] {
    if (this.q === null) return [];
    const problems = queueViolations(this.q).slice(0, 10);
    const stored = this.store.load();
    const key = (q: QueueState | null) =>
      q &&
      JSON.stringify([q.admittedThrough, q.shuffled, q.spokenFor, [...q.tickets.values()].sort(byArrival)]);
    const loaded = stored && loadQueue(stored.settings, stored, stored.tickets);
    if (key(loaded) !== key(this.q)) problems.push("queue memory differs from storage");
    return problems;
  }

  private advance(stock: QueueStock, now: number): void {
    if (this.q)
      advance(this.q, stock, now, { random: this.host.random(), ttlMs: this.host.ttlMs() }, this.touched);
  }

  private record(q: QueueState, t: Ticket, stock: QueueStock, now: number): TicketRecord {
    const reading = readingOf(q, t, stock, now);
    return {
      id: t.id,
      buyer: t.buyer,
      arrival: t.arrival,
      ...reading,
      joinedAt: t.joinedAt,
      admissionExpiresAt: reading.status === "admitted" ? t.expiresAt : null,
    };
  }
}

const byArrival = (a: Ticket, b: Ticket): number => a.arrival - b.arrival;
