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
    state: row.state,
    phase: dropPhase(row, now),
    closed_at: toIsoOrNull(row.closedAt),
    created_at: toIso(row.createdAt),
    updated_at: toIso(row.updatedAt),
  };
}
