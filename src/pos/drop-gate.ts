/**
 * An offer with an open or upcoming drop sells only through that drop, at the till as online: its units
 * are the drop's stock, and a sale that skips the drop takes units nobody counted. An offline item is
 * judged at two moments, when it was captured and when it syncs: a drop that governed the offer at
 * either one means the item must come from one of the drop's allotments. (Only the capture time catches
 * a sale made offline during a drop and synced after the drop ended.)
 *
 * A bundle at the till names at most one allotment, so it cannot hold its components' drops: a bundle
 * with a component behind such a drop is not sold at the till at all (all or nothing, as online).
 */
import { and, eq, gt, inArray, isNull, or, type SQL, type SQLWrapper } from "drizzle-orm";
import type { Db } from "../db/client";
import { bundleComponents, type DropRow, drops } from "../db/schema";

export type GateDrop = Pick<DropRow, "id" | "offerId" | "state" | "endsAt" | "closedAt" | "createdAt">;

/** Whether the drop governed its offer at `t`: it existed, and had neither ended nor been closed. */
export function governs(drop: GateDrop, t: number): boolean {
  if (t < drop.createdAt) return false;
  if (drop.endsAt !== null && t >= drop.endsAt) return false;
  // A closed drop without a closing time (never written so, but read defensively) closed forever.
  if (drop.state === "closed" && (drop.closedAt === null || t >= drop.closedAt)) return false;
  return true;
}

const dropColumns = {
  id: drops.id,
  offerId: drops.offerId,
  state: drops.state,
  endsAt: drops.endsAt,
  closedAt: drops.closedAt,
  createdAt: drops.createdAt,
};

/**
 * What the gate needs for one chunk of a batch's offer ids (under D1's parameter bound), as statements
 * for a caller's batch: the drops that may govern these offers at any moment from `since` on; the drops
 * that may govern their components (a non-bundle has none); and the components. `creatorId` may be a
 * subquery. Read `since` earlier than needed, and more drops come back than can govern: harmless, as
 * the gate judges each drop at the item's own moments.
 */
export function gateReads(db: Db, creatorId: string | SQL, offerIds: string[], since: number) {
  const governable = (ids: string[] | SQLWrapper) =>
    and(
      eq(drops.creatorId, creatorId),
      inArray(drops.offerId, ids),
      or(isNull(drops.endsAt), gt(drops.endsAt, since)),
      or(eq(drops.state, "open"), gt(drops.closedAt, since)),
    );
  const components = db
    .select({ componentId: bundleComponents.componentId })
    .from(bundleComponents)
    .where(inArray(bundleComponents.bundleId, offerIds));
  return [
    db.select(dropColumns).from(drops).where(governable(offerIds)),
    db.select(dropColumns).from(drops).where(governable(components)),
    db
      .select({ bundleId: bundleComponents.bundleId, componentId: bundleComponents.componentId })
      .from(bundleComponents)
      .where(inArray(bundleComponents.bundleId, offerIds)),
  ] as const;
}

export interface GateFacts {
  /** The drops that may govern each offer (the batch's, and its bundles' components), by offer id. */
  drops: Map<string, GateDrop[]>;
  /** Each bundle's component offer ids (read for every offer; only a bundle's count). */
  components: Map<string, string[]>;
}

/** Adds one chunk's gateReads results to `facts`. */
export function addGateRows(
  facts: GateFacts,
  [offerDrops, componentDrops, components]: [
    GateDrop[],
    GateDrop[],
    { bundleId: string; componentId: string }[],
  ],
) {
  for (const row of [...offerDrops, ...componentDrops]) {
    const known = facts.drops.get(row.offerId) ?? [];
    if (!known.some((d) => d.id === row.id)) facts.drops.set(row.offerId, [...known, row]);
  }
  for (const row of components)
    facts.components.set(row.bundleId, [...(facts.components.get(row.bundleId) ?? []), row.componentId]);
}

export interface DropGate {
  /**
   * Why an item of this offer, captured at `capturedAt`, cannot land as sent, or null when it may:
   * `fromAllotment` says it names an allotment of one of the offer's own drops (checked by the caller).
   */
  refusal(offer: { id: string }, capturedAt: number, fromAllotment: boolean): string | null;
}

/** The gate over what gateReads found. */
export function dropGate(facts: GateFacts, offers: Map<string, { kind: string }>, now: number): DropGate {
  const governing = (offerId: string, capturedAt: number) =>
    (facts.drops.get(offerId) ?? []).find((d) => governs(d, capturedAt) || governs(d, now));
  const componentsOf = (offerId: string) =>
    offers.get(offerId)?.kind === "bundle" ? (facts.components.get(offerId) ?? []) : [];
  return {
    refusal(offer, capturedAt, fromAllotment) {
      for (const componentId of componentsOf(offer.id)) {
        const drop = governing(componentId, capturedAt);
        if (drop)
          return `Bundle ${offer.id} contains ${componentId}, which sells only through drop ${drop.id}; the till cannot hold a bundle's drops.`;
      }
      if (fromAllotment) return null;
      const drop = governing(offer.id, capturedAt);
      return drop
        ? `Offer ${offer.id} sells only through drop ${drop.id}: sell it from an allotment of that drop.`
        : null;
    },
  };
}
