/** What the drop object's RPC methods take and answer: plain, serializable shapes. */
import type { QueueSummary } from "../admission/queue";
import type { ClaimRefusal, ConsumeOutcome } from "./allotments";
import type { Hold, HoldRefusal, ReserveRefusal } from "./ledger";
import type { DropPhase } from "./phase";

export interface StockSnapshot {
  stock: number;
  available: number;
  held: number;
  sold: number;
  phase: DropPhase;
  /** The drop's state version and running totals (the stock stream's `seq` contract, docs/stream.md). */
  seq: number;
  holdsTotal: number;
  releasesTotal: number;
  asOf: number;
  /** The admission queue's figures (docs/admission.md); null or absent while the drop's queue is off. */
  queue?: QueueSummary | null;
}

export interface ReserveCall {
  buyer: string;
  quantity: number;
  allowPartial: boolean;
  idempotencyKey: string;
}

type Refused<R extends string> = { ok: false; reason: R };
export type NotConfigured = Refused<"unconfigured">;
export type ReserveResult =
  | { ok: true; hold: Hold; replayed: boolean }
  /** The buyer placed the drop's limit of holds in the last minute; the oldest leaves it in `retryAfterMs`. */
  | { ok: false; reason: "rate_limited"; retryAfterMs: number }
  /** A sharded drop's coordinator redirects: reserves go to the buyer's shard (docs/sharding.md). */
  | { ok: false; reason: "sharded"; shards: number }
  | Refused<ReserveRefusal | "overloaded" | "idempotency_key_reused" | "idempotency_in_flight">
  | NotConfigured;
export type HoldResult = { ok: true; hold: Hold } | Refused<HoldRefusal> | NotConfigured;
export type AdjustResult =
  | { ok: true; snapshot: StockSnapshot }
  | { ok: false; reason: "below_committed"; minimum: number }
  | NotConfigured;

export interface ClaimCall {
  allotmentId: string;
  /** `pos:<device id>`. */
  buyer: string;
  quantity: number;
  allowPartial: boolean;
  ttlMs: number;
  /** The device's claim id: a repeat answers the allotment it made. */
  idempotencyKey: string;
}
export type ClaimResult =
  | { ok: true; hold: Hold; replayed: boolean }
  | Refused<ClaimRefusal | "idempotency_key_reused">
  | NotConfigured;

export interface SaleCall {
  allotmentId: string;
  saleId: string;
  orderRef: string;
  quantity: number;
}
export type ConsumeResult = { ok: true; outcomes: ConsumeOutcome[] } | NotConfigured;
