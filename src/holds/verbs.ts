import type { BuyerContext } from "../context";
import { AppError, type ErrorCode, notFound } from "../errors";
import type { StockSnapshot } from "../inventory/contract";
import type { Hold, HoldRefusal, ReserveRefusal } from "../inventory/ledger";
import { toIso } from "../lib/time";
import type { HoldView, StockView } from "./schemas";

/** How stale a stock read may be; the response says its age, and the README states this bound. */
export const STOCK_CACHE_MS = 1000;

const refusals: Record<
  | ReserveRefusal
  | HoldRefusal
  | "idempotency_key_reused"
  | "idempotency_in_flight"
  | "overloaded"
  | "rate_limited",
  [ErrorCode, string]
> = {
  not_started: ["drop_not_started", "This drop has not started yet."],
  ended: ["drop_ended", "This drop has ended."],
  sold_out: ["sold_out", "Every unit of this drop is sold or held."],
  insufficient: [
    "insufficient_stock",
    "Fewer units are left than you asked for; ask for fewer or allow a partial hold.",
  ],
  buyer_limit_reached: [
    "buyer_limit_reached",
    "You already hold or bought as many units as this drop allows one buyer.",
  ],
  hold_not_found: ["not_found", "No such hold for this buyer."],
  hold_expired: ["hold_expired", "The hold expired and its units went back on sale."],
  hold_released: ["hold_released", "The hold was released."],
  already_committed: ["hold_committed", "The hold is already committed to an order."],
  extension_used: ["conflict", "This hold was already extended once."],
  not_committed: ["conflict", "This hold was never sold to that order."],
  idempotency_key_reused: [
    "idempotency_key_reused",
    "This Idempotency-Key was used for a different request.",
  ],
  idempotency_in_flight: [
    "idempotency_in_flight",
    "A request with this Idempotency-Key is still being processed.",
  ],
  overloaded: [
    "overloaded",
    "This drop is taking more requests than it can answer right now. Retry shortly.",
  ],
  rate_limited: ["rate_limited", "You placed as many holds on this drop as one buyer may in a minute."],
};

/**
 * The problem a refused reserve or hold change answers with; checkout reserves through it too. A
 * buyer over the drop's holds-per-minute limit is told when the oldest of their holds leaves the window.
 */
export const refuse = (reason: keyof typeof refusals, retryAfterMs?: number): AppError => {
  const [code, detail] = refusals[reason];
  if (code === "rate_limited")
    return new AppError(code, detail, {
      headers: { "retry-after": String(Math.max(1, Math.ceil((retryAfterMs ?? 1000) / 1000))) },
    });
  const retry = code === "overloaded" || code === "idempotency_in_flight";
  return new AppError(code, detail, retry ? { headers: { "retry-after": "1" } } : {});
};

/** A refused reserve's problem, with its wait when it is one. */
export const refuseReserve = (result: { reason: keyof typeof refusals; retryAfterMs?: number }): AppError =>
  refuse(result.reason, result.retryAfterMs);

export const renderHold = (dropId: string, hold: Hold): HoldView => ({
  id: hold.id,
  object: "hold",
  drop_id: dropId,
  quantity: hold.quantity,
  state: hold.state,
  created_at: toIso(hold.createdAt),
  expires_at: toIso(hold.expiresAt),
  extended: hold.extended,
});

export interface PlaceHold {
  dropId: string;
  buyer: string;
  quantity: number;
  allowPartial: boolean;
  idempotencyKey: string;
}

export async function placeHold({ ctx, input }: { ctx: BuyerContext; input: PlaceHold }) {
  const { dropId, ...call } = input;
  const result = await ctx.inventory.reserve(dropId, call);
  if (!result.ok) throw refuseReserve(result);
  return { hold: renderHold(dropId, result.hold), replayed: result.replayed };
}

export async function getHold({
  ctx,
  input,
}: {
  ctx: BuyerContext;
  input: { dropId: string; holdId: string; buyer: string };
}) {
  const hold = await ctx.inventory.hold(input.dropId, input.holdId, input.buyer);
  if (hold === null) throw notFound("hold", input.holdId);
  return renderHold(input.dropId, hold);
}

export async function releaseHold({
  ctx,
  input,
}: {
  ctx: BuyerContext;
  input: { dropId: string; holdId: string; buyer: string };
}) {
  const result = await ctx.inventory.release(input.dropId, input.holdId, input.buyer);
  if (!result.ok) throw refuse(result.reason);
  return renderHold(input.dropId, result.hold);
}

let stockCache = new Map<string, StockSnapshot>();
/** Only drops that exist get here (the gateway 404s any other id); a reset when full bounds memory anyway. */
const MAX_CACHED_STOCKS = 10_000;

/** Public and polled by overlays: served from this isolate's copy when it is under STOCK_CACHE_MS old. */
export async function readStock({
  ctx,
  input,
}: {
  ctx: BuyerContext;
  input: { dropId: string };
}): Promise<{ stock: StockView; ageMs: number }> {
  let snapshot = stockCache.get(input.dropId);
  if (snapshot === undefined || ctx.now - snapshot.asOf >= STOCK_CACHE_MS) {
    snapshot = await ctx.inventory.snapshot(input.dropId);
    if (stockCache.size >= MAX_CACHED_STOCKS) stockCache = new Map();
    stockCache.set(input.dropId, snapshot);
  }
  const { asOf, holdsTotal, releasesTotal, queue, ...counts } = snapshot;
  return {
    stock: {
      object: "stock",
      drop_id: input.dropId,
      ...counts,
      holds_total: holdsTotal,
      releases_total: releasesTotal,
      as_of: toIso(asOf),
      queue: queue ?? null,
    },
    ageMs: Math.max(0, ctx.now - asOf),
  };
}
