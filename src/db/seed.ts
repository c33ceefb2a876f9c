/**
 * The demo tenant that `npm start` seeds: a creator, its API key, a membership ladder, a live drop, and
 * pricing to try quotes with: the poster in USD and EUR (with a floor), a Brazil price, Merch members
 * 10 % off, and the coupon LAUNCH10; and a Merch member holding entitlements to mint tokens for.
 * Ids are fixed so that seeding twice changes nothing but the key's hash (DEMO_API_KEY may change).
 * Shared by scripts/start.ts (against local D1) and the tests (against D1 in workerd).
 */
import { sql } from "drizzle-orm";
import { type Db, runBatch, type Write } from "./client";
import {
  apiKeys,
  auditEvents,
  coupons,
  creators,
  drops,
  entitlements,
  members,
  offerCountryPrices,
  offerMemberDiscounts,
  offerPrices,
  offers,
} from "./schema";
import { seedAudit } from "./seed-audit";
import { demoFulfilmentWrites } from "./seed-fulfilment";
import { demoSurfaceWrites } from "./seed-surfaces";

export const demo = {
  creatorId: "cre_demo",
  apiKeyId: "key_demo",
  dropId: "drp_demo_live",
  dropOfferId: "off_demo_poster",
  couponId: "cpn_demo_launch10",
  /** A Merch-tier member with lifetime access to the tier and a named benefit, to mint tokens for. */
  memberId: "mem_demo_merch",
  tiers: [
    { id: "off_demo_fan", title: "Fan", amount: 300, rank: 1, interval: "week" },
    { id: "off_demo_merch", title: "Merch", amount: 900, rank: 2, interval: "month" },
    { id: "off_demo_events", title: "Events", amount: 2500, rank: 3, interval: "month" },
  ],
} as const;

export interface SeedKey {
  hash: string;
  prefix: string;
}

export function demoSeedWrites(db: Db, key: SeedKey, now: number): Write[] {
  const at = { createdAt: now, updatedAt: now };
  const tierOffers = demo.tiers.map((tier) => ({
    id: tier.id,
    creatorId: demo.creatorId,
    kind: "membership" as const,
    title: tier.title,
    defaultCurrency: "USD",
    billingInterval: tier.interval,
    tierRank: tier.rank,
    ...at,
  }));
  const seeded = seedAudit(demo.creatorId, now);
  return [
    db
      .insert(creators)
      .values({ id: demo.creatorId, name: "Demo Creator", defaultCurrency: "USD", createdAt: now })
      .onConflictDoNothing(),
    db
      .insert(apiKeys)
      .values({ id: demo.apiKeyId, creatorId: demo.creatorId, name: "demo", ...key, createdAt: now })
      .onConflictDoUpdate({
        target: apiKeys.id,
        set: { hash: key.hash, prefix: key.prefix, revokedAt: null },
      }),
    // A tier's cadence follows the seed (Fan became weekly): an older local database converges on it.
    db
      .insert(offers)
      .values(tierOffers)
      .onConflictDoUpdate({ target: offers.id, set: { billingInterval: sql`excluded.billing_interval` } }),
    db
      .insert(offerPrices)
      .values(demo.tiers.map((tier) => ({ offerId: tier.id, currency: "USD", amount: tier.amount })))
      .onConflictDoNothing(),
    db
      .insert(offers)
      .values({
        id: demo.dropOfferId,
        creatorId: demo.creatorId,
        kind: "one_time",
        title: "Signed tour poster",
        defaultCurrency: "USD",
        ...at,
      })
      .onConflictDoNothing(),
    db
      .insert(offerPrices)
      .values([
        { offerId: demo.dropOfferId, currency: "USD", amount: 2000, floor: 1500 },
        { offerId: demo.dropOfferId, currency: "EUR", amount: 1900, floor: 1400 },
      ])
      .onConflictDoNothing(),
    db
      .insert(offerCountryPrices)
      .values({ offerId: demo.dropOfferId, country: "BR", currency: "USD", amount: 1600 })
      .onConflictDoNothing(),
    db
      .insert(offerMemberDiscounts)
      .values({ offerId: demo.dropOfferId, tierOfferId: "off_demo_merch", percentOffBps: 1000 })
      .onConflictDoNothing(),
    db
      .insert(coupons)
      .values({
        id: demo.couponId,
        creatorId: demo.creatorId,
        code: "LAUNCH10",
        percentOffBps: 1000,
        maxRedemptions: 100,
        maxPerBuyer: 1,
        ...at,
      })
      .onConflictDoNothing(),
    db
      .insert(drops)
      .values({
        id: demo.dropId,
        creatorId: demo.creatorId,
        offerId: demo.dropOfferId,
        title: "Signed tour poster: live drop",
        stock: 100,
        startsAt: now,
        perBuyerLimit: 2,
        ...at,
      })
      .onConflictDoNothing(),
    db
      .insert(members)
      .values({
        id: demo.memberId,
        creatorId: demo.creatorId,
        email: "merch-fan@example.com",
        tierOfferId: "off_demo_merch",
        cohort: "founding",
        acquisitionSource: "api",
        joinedAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing(),
    db
      .insert(entitlements)
      .values(
        [
          { id: "ent_demo_merch", offerId: "off_demo_merch", benefitKey: "off_demo_merch" },
          { id: "ent_demo_backstage", offerId: null, benefitKey: "backstage" },
        ].map((e) => ({
          ...e,
          creatorId: demo.creatorId,
          memberId: demo.memberId,
          sourceType: "admin" as const,
          sourceId: "seed",
          grantedAt: now,
        })),
      )
      .onConflictDoNothing(),
    db
      .insert(auditEvents)
      .values([
        seeded("creator", demo.creatorId),
        ...demo.tiers.map((tier) => seeded("offer", tier.id)),
        seeded("offer", demo.dropOfferId),
        seeded("drop", demo.dropId),
        seeded("coupon", demo.couponId),
        seeded("member", demo.memberId),
        seeded("entitlement", "ent_demo_merch"),
        seeded("entitlement", "ent_demo_backstage"),
      ])
      .onConflictDoNothing(),
  ];
}

/**
 * Seeds the demo tenant, its buyer surfaces (seed-surfaces.ts) and its physical drop (seed-fulfilment.ts); safe to run any number of times. An
 * overlay token, when given, replaces the drop's (its hash only is stored).
 */
export const seedDemo = async (
  db: Db,
  key: SeedKey,
  now: number,
  surfaces: { overlayToken?: string } = {},
): Promise<void> =>
  runBatch(db, [
    ...demoSeedWrites(db, key, now),
    ...(await demoSurfaceWrites(
      db,
      {
        creatorId: demo.creatorId,
        dropId: demo.dropId,
        dropOfferId: demo.dropOfferId,
        fanOfferId: "off_demo_fan",
      },
      surfaces.overlayToken,
      now,
    )),
    ...demoFulfilmentWrites(db, { creatorId: demo.creatorId }, now),
  ]);
