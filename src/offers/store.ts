import { and, eq, inArray, notInArray, sql } from "drizzle-orm";
import { type Db, insertInChunks, type Write } from "../db/client";
import { bundleComponents, type OfferRow, offerCountryPrices, offerPrices, offers } from "../db/schema";
import { toIso } from "../lib/time";
import type { ComponentInput, Offer, PriceInput } from "./schemas";

/** Loads prices and components for offer rows in one D1 round trip and renders them. */
export async function renderOffers(db: Db, rows: OfferRow[]): Promise<Offer[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [prices, components] = await db.batch([
    db.select().from(offerPrices).where(inArray(offerPrices.offerId, ids)),
    db.select().from(bundleComponents).where(inArray(bundleComponents.bundleId, ids)),
  ]);
  return rows.map((row) =>
    renderOffer(
      row,
      prices.filter((p) => p.offerId === row.id),
      components
        .filter((c) => c.bundleId === row.id)
        .map((c) => ({ offer_id: c.componentId, quantity: c.quantity })),
    ),
  );
}

const byKey =
  <T>(key: (t: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

/** The API view of an offer. Pure, so a write can return what it is about to store without reading it back. */
export function renderOffer(row: OfferRow, prices: PriceInput[], components: ComponentInput[]): Offer {
  return {
    id: row.id,
    object: "offer",
    kind: row.kind,
    title: row.title,
    description: row.description,
    default_currency: row.defaultCurrency,
    prices: prices.map((p) => ({ currency: p.currency, amount: p.amount })).sort(byKey((p) => p.currency)),
    billing_interval: row.billingInterval,
    tier_rank: row.tierRank,
    components: components
      .map((c) => ({ offer_id: c.offer_id, quantity: c.quantity }))
      .sort(byKey((c) => c.offer_id)),
    requires_shipping: row.requiresShipping,
    status: row.status,
    created_at: toIso(row.createdAt),
    updated_at: toIso(row.updatedAt),
  };
}

export async function findOffer(db: Db, creatorId: string, id: string): Promise<OfferRow | undefined> {
  const [row] = await db
    .select()
    .from(offers)
    .where(and(eq(offers.creatorId, creatorId), eq(offers.id, id)))
    .limit(1);
  return row;
}

/**
 * Statements that set an offer's prices per currency. Floors set through the price table survive (capped
 * at the new amount); currencies no longer priced lose their price and their country prices.
 */
export function replacePrices(db: Db, offerId: string, prices: PriceInput[]): Write[] {
  const currencies = prices.map((p) => p.currency);
  return [
    db
      .delete(offerPrices)
      .where(and(eq(offerPrices.offerId, offerId), notInArray(offerPrices.currency, currencies))),
    db
      .delete(offerCountryPrices)
      .where(
        and(eq(offerCountryPrices.offerId, offerId), notInArray(offerCountryPrices.currency, currencies)),
      ),
    ...insertInChunks(
      prices.map((p) => ({ offerId, currency: p.currency, amount: p.amount })),
      (rows) =>
        db
          .insert(offerPrices)
          .values(rows)
          .onConflictDoUpdate({
            target: [offerPrices.offerId, offerPrices.currency],
            set: { amount: sql`excluded.amount`, floor: sql`min(${offerPrices.floor}, excluded.amount)` },
          }),
    ),
  ];
}

/** Statements that replace a bundle's components (none for other kinds). */
export function replaceComponents(db: Db, bundleId: string, components: ComponentInput[]): Write[] {
  return [
    db.delete(bundleComponents).where(eq(bundleComponents.bundleId, bundleId)),
    ...insertInChunks(
      components.map((c) => ({ bundleId, componentId: c.offer_id, quantity: c.quantity })),
      (rows) => db.insert(bundleComponents).values(rows),
    ),
  ];
}
