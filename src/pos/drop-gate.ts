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
import { and, eq, gt, inArray, isNull, or } from "drizzle-orm";
import { type Db, inChunks } from "../db/client";
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

/** The drops that may govern these offers at any moment from `since` on, by offer id. */
export async function dropsOf(
  db: Db,
  creatorId: string,
  offerIds: string[],
  since: number,
): Promise<Map<string, GateDrop[]>> {
  const byOffer = new Map<string, GateDrop[]>();
  for (const chunk of inChunks(offerIds)) {
    const rows = await db
      .select({
        id: drops.id,
        offerId: drops.offerId,
        state: drops.state,
        endsAt: drops.endsAt,
        closedAt: drops.closedAt,
        createdAt: drops.createdAt,
      })
      .from(drops)
      .where(
        and(
          eq(drops.creatorId, creatorId),
          inArray(drops.offerId, chunk),
          or(isNull(drops.endsAt), gt(drops.endsAt, since)),
          or(eq(drops.state, "open"), gt(drops.closedAt, since)),
        ),
      );
    for (const row of rows) byOffer.set(row.offerId, [...(byOffer.get(row.offerId) ?? []), row]);
  }
  return byOffer;
}

/** Each bundle's component offer ids. */
export async function componentsOf(db: Db, bundleIds: string[]): Promise<Map<string, string[]>> {
  const byBundle = new Map<string, string[]>();
  for (const chunk of inChunks(bundleIds)) {
    const rows = await db
      .select({ bundleId: bundleComponents.bundleId, componentId: bundleComponents.componentId })
      .from(bundleComponents)
      .where(inArray(bundleComponents.bundleId, chunk));
    for (const row of rows)
      byBundle.set(row.bundleId, [...(byBundle.get(row.bundleId) ?? []), row.componentId]);
  }
  return byBundle;
}

export interface DropGate {
  /**
   * Why an item of this offer, captured at `capturedAt`, cannot land as sent, or null when it may:
   * `fromAllotment` says it names an allotment of one of the offer's own drops (checked by the caller).
   */
  refusal(offer: { id: string }, capturedAt: number, fromAllotment: boolean): string | null;
}

/** Loads what the gate needs for a batch's offers, in a few set-based reads. */
export async function dropGate(
  db: Db,
  creatorId: string,
  offers: { id: string; kind: string }[],
  since: number,
  now: number,
): Promise<DropGate> {
  const components = await componentsOf(
    db,
    offers.filter((o) => o.kind === "bundle").map((o) => o.id),
  );
  const all = [...new Set([...offers.map((o) => o.id), ...[...components.values()].flat()])];
  const byOffer = await dropsOf(db, creatorId, all, since);
  const governing = (offerId: string, capturedAt: number) =>
    (byOffer.get(offerId) ?? []).find((d) => governs(d, capturedAt) || governs(d, now));
  return {
    refusal(offer, capturedAt, fromAllotment) {
      for (const componentId of components.get(offer.id) ?? []) {
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
