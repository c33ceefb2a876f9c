/**
 * Idempotent reserves and claims: a buyer's key makes one hold, and a repeat answers that hold for as
 * long as it is remembered (retention.ts; at least 24 hours). Keys are looked up in the object's SQLite
 * by index, never mirrored in memory, so they cost no memory and no start-up time.
 */

import { newId } from "../lib/ids";
import type { ReserveCall, ReserveResult } from "./contract";
import { type Ledger, reserve, type Touched } from "./ledger";
import { remembered } from "./retention";
import type { InventoryStore, KeyedHold, NewHold } from "./store";

/**
 * The hold this buyer's key made, as it stands now, while it is remembered: one indexed read. The
 * stored row may predate this very operation (a hold it just expired), so memory wins.
 */
export function keyedHold(
  store: InventoryStore,
  l: Ledger,
  key: { buyer: string; key: string },
  touched: Touched,
  now: number,
): KeyedHold | undefined {
  const stored = store.keyed(key.buyer, key.key);
  if (stored === undefined) return undefined;
  const { id } = stored.hold;
  const hold = l.live.get(id) ?? touched.holds.findLast((h) => h.id === id) ?? stored.hold;
  return remembered(hold, now) ? { hold, request: stored.request } : undefined;
}

export interface ReserveBatch {
  touched: Touched;
  /** New holds, inserted together at the batch's end. */
  created: NewHold[];
  /** Keys applied in this batch, with their requests: not yet durable, so a repeat answers 409. */
  committing: Map<string, string>;
  now: number;
  /** A shard's suffix on the hold ids it makes (sharding.ts), so they route back to it; "" unsharded. */
  idSuffix?: string;
  /** Holds one buyer may place on this drop in any minute; null for no limit. */
  holdsPerMinute?: number | null;
}

/** The window of the holds-per-buyer limit. */
export const HOLD_RATE_WINDOW_MS = 60_000;

/**
 * Holds this buyer placed in the last minute, exactly: those stored (one indexed read) and those this
 * batch placed but has not inserted yet. Refused at the limit, with when the oldest leaves the window.
 */
function rateLimited(store: InventoryStore, call: ReserveCall, batch: ReserveBatch): number | null {
  const limit = batch.holdsPerMinute ?? null;
  if (limit === null) return null;
  const since = batch.now - HOLD_RATE_WINDOW_MS;
  const stored = store.placedSince(call.buyer, since);
  const pending = batch.created.filter((c) => c.hold.kind === "hold" && c.hold.buyer === call.buyer).length;
  if (stored.count + pending < limit) return null;
  return Math.max(1, (stored.earliest ?? batch.now) + HOLD_RATE_WINDOW_MS - batch.now);
}

const keyId = (call: ReserveCall) => `${call.buyer}\n${call.idempotencyKey}`;

/** One reserve within a group-committed batch: a replay, a refusal, or a new hold. */
export function applyReserve(
  store: InventoryStore,
  l: Ledger,
  call: ReserveCall,
  batch: ReserveBatch,
): ReserveResult {
  const { touched, created, committing, now } = batch;
  const request = `${call.quantity}:${call.allowPartial}`;
  const pending = committing.get(keyId(call));
  if (pending !== undefined)
    return { ok: false, reason: pending === request ? "idempotency_in_flight" : "idempotency_key_reused" };
  const seen = keyedHold(store, l, { buyer: call.buyer, key: call.idempotencyKey }, touched, now);
  if (seen) {
    return seen.request === request
      ? { ok: true, hold: seen.hold, replayed: true }
      : { ok: false, reason: "idempotency_key_reused" };
  }
  const retryAfterMs = rateLimited(store, call, batch);
  if (retryAfterMs !== null) return { ok: false, reason: "rate_limited", retryAfterMs };
  const outcome = reserve(l, { holdId: `${newId("hold")}${batch.idSuffix ?? ""}`, ...call, now }, touched);
  if (!outcome.ok) return { ok: false, reason: outcome.reason };
  created.push({ hold: outcome.hold, reserveKey: call.idempotencyKey, request });
  committing.set(keyId(call), request);
  return { ok: true, hold: outcome.hold, replayed: false };
}
