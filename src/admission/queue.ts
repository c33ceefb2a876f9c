/**
 * The fair admission queue as pure code (docs/admission.md): tickets, the shuffle at the start, lazy
 * admission at a rate and within stock, and what a viewer reads. The drop's object keeps one QueueState
 * in memory, calls these functions inside its storage transaction, and persists the tickets they report
 * as touched; the unit and model tests drive the same functions.
 *
 * Invariants (`queueViolations`): the units admitted tickets speak for never exceed what is available;
 * positions 1..admittedThrough are exactly the tickets that were ever admitted; a waiting ticket is never
 * at or below admittedThrough.
 */

import type { QueueBroadcast } from "../contract/stream";

/** How a ticket stands as stored. `sold_out` is never stored: a waiting ticket reads so while the queue is. */
export type StoredTicketState = "waiting" | "admitted" | "used" | "expired";
export const ticketStatuses = ["waiting", "admitted", "used", "expired", "sold_out"] as const;
export type TicketStatus = (typeof ticketStatuses)[number];
export const queueStates = ["gathering", "admitting", "sold_out", "paused"] as const;
export type QueueStateName = (typeof queueStates)[number];

/** How long an admission lasts unless its buyer places a hold: the admission token's lifetime. */
export const ADMISSION_TTL_MS = 120_000;

export interface Ticket {
  id: string;
  buyer: string;
  /** The order tickets reached the object in (1, 2, …): the order late arrivals queue in. */
  arrival: number;
  joinedAt: number;
  /** Null until the start: early arrivals get theirs from the shuffle. */
  position: number | null;
  state: StoredTicketState;
  admittedAt: number | null;
  /** When the admission lapses unless used. */
  expiresAt: number | null;
  /** Units the admission speaks for while it is live. */
  units: number;
}

export interface QueueSettings {
  enabled: boolean;
  admitPerSecond: number;
}

/** What the queue needs of the drop: its stock as of now and the terms that shape admission. */
export interface QueueStock {
  available: number;
  startsAt: number;
  /** Units one admission speaks for: the drop's per-buyer limit, or 1. */
  perBuyerLimit: number | null;
  /** False once the drop ended or was closed: nobody more is admitted. */
  selling: boolean;
}

/** A uniform integer in [0, bound): crypto in production, a seeded generator in tests. */
export type Random = (bound: number) => number;

export interface QueueState {
  settings: QueueSettings;
  tickets: Map<string, Ticket>;
  byBuyer: Map<string, Ticket>;
  /** Early arrivals, in arrival order, until the shuffle gives them positions. */
  early: Ticket[];
  /** `order[p - 1]` holds position p. */
  order: Ticket[];
  shuffled: boolean;
  /** Positions 1..admittedThrough were admitted (and may since have been used or lapsed). */
  admittedThrough: number;
  /** Live admissions in admission order, which is expiry order (one TTL, non-decreasing admission times). */
  live: Map<string, Ticket>;
  spokenFor: number;
  waiting: number;
  arrivals: number;
}

/** What the stream and the stock read carry: enough for every viewer to place itself. */
export type QueueSummary = QueueBroadcast;

export function newQueue(settings: QueueSettings): QueueState {
  return {
    settings,
    tickets: new Map(),
    byBuyer: new Map(),
    early: [],
    order: [],
    shuffled: false,
    admittedThrough: 0,
    live: new Map(),
    spokenFor: 0,
    waiting: 0,
    arrivals: 0,
  };
}

/** Rebuilds the derived indexes from stored tickets (the object's start-up). */
export function loadQueue(
  settings: QueueSettings,
  stored: { shuffled: boolean; admittedThrough: number },
  tickets: Ticket[],
): QueueState {
  const q = { ...newQueue(settings), shuffled: stored.shuffled, admittedThrough: stored.admittedThrough };
  for (const t of [...tickets].sort((a, b) => a.arrival - b.arrival)) {
    q.tickets.set(t.id, t);
    q.byBuyer.set(t.buyer, t);
    q.arrivals = Math.max(q.arrivals, t.arrival);
    if (t.state === "waiting") q.waiting++;
    if (t.position === null) q.early.push(t);
  }
  q.order = tickets.filter((t) => t.position !== null).sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
  for (const t of q.order)
    if (t.state === "admitted") {
      q.live.set(t.id, t);
      q.spokenFor += t.units;
    }
  return q;
}

/** Uniform Fisher–Yates (Durstenfeld), in place: every order equally likely for a uniform `random`. */
export function shuffle<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random(i + 1);
    const a = items[i] as T;
    items[i] = items[j] as T;
    items[j] = a;
  }
  return items;
}

/** The cumulative admissions the rate allows by `now`. */
export const rateBudget = (q: QueueState, stock: QueueStock, now: number): number =>
  now < stock.startsAt ? 0 : Math.floor((q.settings.admitPerSecond * (now - stock.startsAt)) / 1000);

export function stateOf(q: QueueState, stock: QueueStock, now: number): QueueStateName {
  if (now < stock.startsAt) return "gathering";
  if (!stock.selling || (stock.available <= 0 && q.spokenFor === 0)) return "sold_out";
  return stock.available - q.spokenFor < 1 ? "paused" : "admitting";
}

/**
 * Brings the queue to `now`: shuffles the early arrivals at the start, lapses admissions past their
 * expiry, then admits in position order while the rate allows and stock is not all spoken for. Each
 * admission speaks for the per-buyer limit, or for what is left when that is less (so the last unit is
 * never stranded). Pushes every ticket it changed onto `touched`.
 */
export function advance(
  q: QueueState,
  stock: QueueStock,
  now: number,
  o: { random: Random; ttlMs: number },
  touched: Ticket[],
): void {
  if (!q.settings.enabled || now < stock.startsAt) return;
  if (!q.shuffled) {
    for (const t of shuffle(q.early, o.random)) {
      q.order.push(t);
      t.position = q.order.length;
      touched.push(t);
    }
    q.early = [];
    q.shuffled = true;
  }
  for (const t of q.live.values()) {
    if ((t.expiresAt ?? 0) > now) break;
    t.state = "expired";
    endAdmission(q, t);
    touched.push(t);
  }
  if (!stock.selling) return;
  const budget = rateBudget(q, stock, now);
  const full = stock.perBuyerLimit ?? 1;
  while (q.admittedThrough < q.order.length && q.admittedThrough < budget) {
    const free = stock.available - q.spokenFor;
    if (free < 1) break;
    const t = q.order[q.admittedThrough] as Ticket;
    q.admittedThrough++;
    t.state = "admitted";
    t.admittedAt = now;
    t.expiresAt = now + o.ttlMs;
    t.units = Math.min(full, free);
    q.live.set(t.id, t);
    q.spokenFor += t.units;
    q.waiting--;
    touched.push(t);
  }
}

/**
 * A new ticket at `now`, or the buyer's own ticket again: one live ticket per buyer per drop. A buyer
 * whose admission lapsed unused may join again, at the back like any late arrival. Advance first.
 */
export function join(
  q: QueueState,
  input: { id: string; buyer: string; now: number },
  touched: Ticket[],
): { ticket: Ticket; created: boolean } {
  const seen = q.byBuyer.get(input.buyer);
  if (seen && seen.state !== "expired") return { ticket: seen, created: false };
  const ticket: Ticket = {
    id: input.id,
    buyer: input.buyer,
    arrival: ++q.arrivals,
    joinedAt: input.now,
    position: null,
    state: "waiting",
    admittedAt: null,
    expiresAt: null,
    units: 0,
  };
  q.tickets.set(ticket.id, ticket);
  q.byBuyer.set(ticket.buyer, ticket);
  q.waiting++;
  if (q.shuffled) {
    q.order.push(ticket);
    ticket.position = q.order.length;
  } else q.early.push(ticket);
  touched.push(ticket);
  return { ticket, created: true };
}

/** The ticket's buyer placed a hold: it no longer speaks for units (they are held now). Idempotent. */
export function use(q: QueueState, ticket: Ticket | undefined, touched: Ticket[]): boolean {
  if (ticket === undefined || ticket.state !== "admitted") return false;
  ticket.state = "used";
  endAdmission(q, ticket);
  touched.push(ticket);
  return true;
}

function endAdmission(q: QueueState, t: Ticket): void {
  q.live.delete(t.id);
  q.spokenFor -= t.units;
}

export const summaryOf = (q: QueueState, stock: QueueStock, now: number): QueueSummary => ({
  state: stateOf(q, stock, now),
  waiting: q.waiting,
  admitted_through: q.admittedThrough,
  admit_per_second: q.settings.admitPerSecond,
});

export interface TicketReading {
  status: TicketStatus;
  position: number | null;
  /** Waiting tickets ahead of this one. */
  ahead: number | null;
  estimatedWaitSeconds: number | null;
}

/**
 * How a ticket reads at `now`: a waiting ticket reads sold_out while the queue is, and its wait is
 * when the rate reaches its position, or its distance from the head at the rate, whichever is later.
 */
export function readingOf(q: QueueState, t: Ticket, stock: QueueStock, now: number): TicketReading {
  const state = stateOf(q, stock, now);
  if (t.state !== "waiting")
    return { status: t.state, position: t.position, ahead: null, estimatedWaitSeconds: null };
  if (state === "sold_out")
    return { status: "sold_out", position: t.position, ahead: null, estimatedWaitSeconds: null };
  if (t.position === null)
    return { status: "waiting", position: null, ahead: null, estimatedWaitSeconds: null };
  const rate = q.settings.admitPerSecond;
  const byRate = stock.startsAt + Math.ceil((t.position * 1000) / rate) - now;
  const byDistance = ((t.position - q.admittedThrough) * 1000) / rate;
  return {
    status: "waiting",
    position: t.position,
    ahead: t.position - q.admittedThrough - 1,
    estimatedWaitSeconds: Math.max(0, Math.ceil(Math.max(byRate, byDistance) / 1000)),
  };
}

/**
 * When the queue next changes on its own (without a hold or a join): the start, the earliest admission
 * to lapse, or the next admission the rate allows (at most once every `tickMs`); null when never.
 */
export function nextChange(q: QueueState, stock: QueueStock, now: number, tickMs: number): number | null {
  if (!q.settings.enabled) return null;
  if (now < stock.startsAt) return stock.startsAt;
  const times: number[] = [];
  const first = q.live.values().next();
  if (!first.done && first.value.expiresAt !== null) times.push(first.value.expiresAt);
  const admissible = stock.selling && stock.available - q.spokenFor >= 1;
  if (admissible && q.admittedThrough < q.order.length) {
    const due = stock.startsAt + Math.ceil(((q.admittedThrough + 1) * 1000) / q.settings.admitPerSecond);
    times.push(Math.max(due, now + tickMs));
  }
  return times.length === 0 ? null : Math.min(...times);
}

/**
 * The queue's own invariants; empty when all hold. That admissions speak for no more than is available
 * is the model test's to check: units may leave by another path (a device's claim) while admissions
 * speak for them, and the queue then admits nobody until they return (`stateOf` says paused).
 */
export function queueViolations(q: QueueState): string[] {
  const problems: string[] = [];
  let spoken = 0;
  let waiting = 0;
  for (const t of q.tickets.values()) {
    if (t.state === "admitted") spoken += t.units;
    if (t.state === "waiting") waiting++;
    const below = t.position !== null && t.position <= q.admittedThrough;
    if (t.state === "waiting" && below)
      problems.push(`ticket ${t.id} is waiting at or below admitted_through`);
    if (t.state !== "waiting" && !below) problems.push(`ticket ${t.id} left waiting out of order`);
  }
  if (spoken !== q.spokenFor) problems.push(`spoken-for ${q.spokenFor} differs from the tickets' ${spoken}`);
  if (waiting !== q.waiting) problems.push(`waiting ${q.waiting} differs from the tickets' ${waiting}`);
  return problems;
}
