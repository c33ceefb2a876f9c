/**
 * What the pricing engine needs about one offer, loaded from D1 in one batch and kept per isolate for a
 * few seconds, so that deciding a price costs no I/O on the hot path (a live drop prices the same offer
 * thousands of times a minute). Admin writes in this isolate drop the entry at once; other isolates see
 * a change within CATALOG_TTL_MS. Coupons, members and orders are never cached: they are read fresh.
 */
import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client";
import {
  bundleComponents,
  experimentArms,
  experiments,
  type OfferRow,
  offerCountryPrices,
  offerMemberDiscounts,
  offerPrices,
  offers,
} from "../db/schema";
import { creatorStatusOf } from "../operator/standing";
import type { ArmAdjustment, ExperimentArm, PricedOffer } from "./engine";

export const CATALOG_TTL_MS = 5_000;
const MAX_ENTRIES = 2_000;

export interface CatalogEntry {
  creatorId: string;
  kind: OfferRow["kind"];
  status: OfferRow["status"];
  /** The creator's standing, read with the offer (no round trip of its own): a suspended one sells nothing. */
  creatorSuspended: boolean;
  priced: PricedOffer;
}

const cache = new Map<string, { loadedAt: number; entry: CatalogEntry }>();
// Offers one request is re-reading right now. workerd forbids awaiting another request's I/O, so a load
// cannot be shared; instead, while one request refreshes an expired entry, the others keep pricing from
// it, and only a cold isolate makes each concurrent request read for itself.
const refreshing = new Set<string>();

/** The offer's pricing, or undefined when no such offer exists. */
export async function pricingOf(db: Db, offerId: string, now: number): Promise<CatalogEntry | undefined> {
  const hit = cache.get(offerId);
  if (hit && (now - hit.loadedAt < CATALOG_TTL_MS || refreshing.has(offerId))) return hit.entry;
  refreshing.add(offerId);
  try {
    const entry = await loadPricing(db, offerId);
    if (entry) remember(offerId, now, entry);
    else cache.delete(offerId);
    return entry;
  } finally {
    refreshing.delete(offerId);
  }
}

/** Drops an offer's cached pricing in this isolate; admin writes that change pricing call it. */
export function forgetPricing(offerId: string): void {
  cache.delete(offerId);
}

/** Drops every cached offer of a creator whose standing changed (suspended, reinstated) in this isolate. */
export function forgetCreatorPricing(creatorId: string): void {
  for (const [offerId, hit] of cache) if (hit.entry.creatorId === creatorId) cache.delete(offerId);
}

function remember(offerId: string, now: number, entry: CatalogEntry): void {
  cache.delete(offerId);
  if (cache.size >= MAX_ENTRIES) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(offerId, { loadedAt: now, entry });
}

async function loadPricing(db: Db, offerId: string): Promise<CatalogEntry | undefined> {
  const [rows, prices, countryPrices, discounts, components, running] = await db.batch([
    // A subquery, not a join: D1 answers a batch's rows by column name, and both tables have `status`.
    db
      .select({ offer: offers, creatorStatus: creatorStatusOf(offers.creatorId) })
      .from(offers)
      .where(eq(offers.id, offerId))
      .limit(1),
    db.select().from(offerPrices).where(eq(offerPrices.offerId, offerId)),
    db.select().from(offerCountryPrices).where(eq(offerCountryPrices.offerId, offerId)),
    db
      .select({
        tierOfferId: offerMemberDiscounts.tierOfferId,
        percentOffBps: offerMemberDiscounts.percentOffBps,
        tierRank: offers.tierRank,
      })
      .from(offerMemberDiscounts)
      .innerJoin(offers, eq(offers.id, offerMemberDiscounts.tierOfferId))
      .where(eq(offerMemberDiscounts.offerId, offerId)),
    db
      .select({
        offerId: bundleComponents.componentId,
        quantity: bundleComponents.quantity,
        currency: offerPrices.currency,
        amount: offerPrices.amount,
      })
      .from(bundleComponents)
      .leftJoin(offerPrices, eq(offerPrices.offerId, bundleComponents.componentId))
      .where(eq(bundleComponents.bundleId, offerId)),
    db
      .select({ id: experiments.id, arm: experimentArms })
      .from(experiments)
      .innerJoin(experimentArms, eq(experimentArms.experimentId, experiments.id))
      .where(and(eq(experiments.offerId, offerId), eq(experiments.status, "running")))
      .orderBy(experimentArms.position),
  ]);
  const [joined] = rows;
  if (joined === undefined) return undefined;
  const row = joined.offer;

  const componentPrices = new Map<
    string,
    { offerId: string; quantity: number; prices: Record<string, number> }
  >();
  for (const c of components) {
    const entry = componentPrices.get(c.offerId) ?? { offerId: c.offerId, quantity: c.quantity, prices: {} };
    if (c.currency !== null && c.amount !== null) entry.prices[c.currency] = c.amount;
    componentPrices.set(c.offerId, entry);
  }
  const experimentId = running[0]?.id;
  return {
    creatorId: row.creatorId,
    kind: row.kind,
    status: row.status,
    creatorSuspended: joined.creatorStatus === "suspended",
    priced: {
      id: row.id,
      defaultCurrency: row.defaultCurrency,
      prices: Object.fromEntries(prices.map((p) => [p.currency, { amount: p.amount, floor: p.floor }])),
      countryPrices: Object.fromEntries(
        countryPrices.map((p) => [p.country, { currency: p.currency, amount: p.amount }]),
      ),
      memberDiscounts: discounts.flatMap((d) =>
        d.tierRank === null
          ? []
          : [{ tierOfferId: d.tierOfferId, tierRank: d.tierRank, percentOffBps: d.percentOffBps }],
      ),
      components: [...componentPrices.values()],
      experiment:
        experimentId === undefined
          ? null
          : { id: experimentId, arms: running.filter((r) => r.id === experimentId).map((r) => toArm(r.arm)) },
    },
  };
}

/** The engine's view of an arm row (see the experiments admin API for how rows are written). */
export function toArm(row: typeof experimentArms.$inferSelect): ExperimentArm {
  return { key: row.key, weight: row.weight, adjustment: toAdjustment(row) };
}

function toAdjustment(row: typeof experimentArms.$inferSelect): ArmAdjustment {
  if (row.adjustmentKind === "percent") return { kind: "percent", bps: row.percentBps ?? 0 };
  if (row.adjustmentKind === "amount") return { kind: "amount", amounts: JSON.parse(row.amounts ?? "{}") };
  return { kind: "none" };
}
