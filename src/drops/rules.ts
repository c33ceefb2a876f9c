import type { DropRow } from "../db/schema";
import type { FieldError } from "../errors";
import { type DropPhase, phaseAt } from "../inventory/phase";
import { toIso, toIsoOrNull } from "../lib/time";
import type { Drop } from "./schemas";

export type { DropPhase };

/** Where a drop stands at `now`, by the same rule its inventory object applies. */
export const dropPhase = (drop: Pick<DropRow, "state" | "startsAt" | "endsAt">, now: number): DropPhase =>
  phaseAt({ closed: drop.state === "closed", startsAt: drop.startsAt, endsAt: drop.endsAt }, now);

export function dropWindowErrors(drop: Pick<DropRow, "startsAt" | "endsAt">): FieldError[] {
  return drop.endsAt !== null && drop.endsAt <= drop.startsAt
    ? [{ in: "body", path: "/ends_at", message: "Must be after starts_at" }]
    : [];
}

/**
 * Reserves one drop object serves a second on Cloudflare, for sizing: Cloudflare documents a soft limit
 * of about 1,000 requests a second per object, and 200 to 500 when each writes storage, as a reserve
 * does. The conservative middle is what `expected_peak_rps` is divided by (README, Sharded drops).
 */
export const RESERVES_PER_SHARD_PER_SECOND = 300;
export const MAX_SHARDS = 64;

/** The shard count a stated burst needs, or the creator's own count; 1 when neither is given. */
export function shardsFor(input: {
  shards?: number | undefined;
  expected_peak_rps?: number | undefined;
}): number {
  if (input.shards !== undefined) return input.shards;
  if (input.expected_peak_rps === undefined) return 1;
  return Math.min(
    MAX_SHARDS,
    Math.max(1, Math.ceil(input.expected_peak_rps / RESERVES_PER_SHARD_PER_SECOND)),
  );
}

export function renderDrop(row: DropRow, now: number): Drop {
  return {
    id: row.id,
    object: "drop",
    offer_id: row.offerId,
    title: row.title,
    stock: row.stock,
    starts_at: toIso(row.startsAt),
    ends_at: toIsoOrNull(row.endsAt),
    per_buyer_limit: row.perBuyerLimit,
    hold_ttl_seconds: row.holdTtlSeconds,
    restock_on_refund: row.restockOnRefund,
    shards: row.shards,
    queue: { enabled: row.queueEnabled, admit_per_second: row.queueAdmitPerSecond },
    buyer_proof: { mode: row.buyerProof, pow_difficulty: row.powDifficulty },
    state: row.state,
    phase: dropPhase(row, now),
    closed_at: toIsoOrNull(row.closedAt),
    created_at: toIso(row.createdAt),
    updated_at: toIso(row.updatedAt),
  };
}
