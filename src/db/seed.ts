/**
 * The demo tenant that `npm start` seeds: a creator, its secret and publishable keys, a membership ladder, a live drop, and
 * pricing to try quotes with: the poster in USD and EUR (with a floor), a Brazil price, Merch members
 * 10 % off, and the coupon LAUNCH10; and a Merch member holding entitlements to mint tokens for.
 * Ids are fixed so that seeding twice changes nothing but the keys' hashes (DEMO_API_KEY may change).
 * The creator and its keys are written as the operator's create writes them (creatorWrites, newKey).
 * Shared by scripts/start.ts (against local D1) and the tests (against D1 in workerd).
 */
import { eq, inArray, sql } from "drizzle-orm";
import { newKey } from "../keys/store";
import { displayPrefix, hashApiKey } from "../lib/api-keys";
import { creatorWrites } from "../operator/store";
import { type Db, runBatch, type Write } from "./client";
import {
  type ApiKeyKind,
  apiKeys,
  auditEvents,
  coupons,
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
  publishableKeyId: "key_demo_pk",
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

/** The demo keys themselves: the secret one (DEMO_API_KEY, or kept in .wrangler) and a publishable one. */
export interface DemoKeys {
  secret: string;
  publishable?: string | undefined;
}

/**
 * A demo key's write: the first seed inserts it through newKey, as every key is; a later seed finds the
 * row (it may have dashboard sessions, so it is never replaced) and only points it at the chosen key.
 */
async function demoKeyWrite(
  db: Db,
  key: { id: string; kind: ApiKeyKind; name: string; secret: string },
  exists: boolean,
  now: number,
): Promise<{ write: Write }> {
  // Wrapped, not returned bare: a drizzle statement is thenable, and an async function would run it.
  if (!exists) return newKey(db, { ...key, creatorId: demo.creatorId, now });
  const write = db
    .update(apiKeys)
    .set({
      hash: await hashApiKey(key.secret),
      prefix: displayPrefix(key.secret),
      revokedAt: null,
      expiresAt: null,
    })
    .where(eq(apiKeys.id, key.id));
  return { write };
}

async function demoKeyWrites(db: Db, keys: DemoKeys, now: number): Promise<Write[]> {
  const wanted = [
    { id: demo.apiKeyId, kind: "secret" as const, name: "demo", secret: keys.secret },
    ...(keys.publishable === undefined
      ? []
      : [
          {
            id: demo.publishableKeyId,
            kind: "publishable" as const,
            name: "demo widget",
            secret: keys.publishable,
          },
        ]),
  ];
  const found = await db
    .select({ id: apiKeys.id })
    .from(apiKeys)
    .where(
      inArray(
        apiKeys.id,
        wanted.map((k) => k.id),
      ),
    );
  const existing = new Set(found.map((r) => r.id));
  const seeded = seedAudit(demo.creatorId, now);
  const writes = await Promise.all(wanted.map((k) => demoKeyWrite(db, k, existing.has(k.id), now)));
  return [
    ...writes.map((w) => w.write),
    ...wanted.map((k) => db.insert(auditEvents).values(seeded("api_key", k.id)).onConflictDoNothing()),
  ];
}

export function demoSeedWrites(db: Db, keyWrites: Write[], now: number): Write[] {
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
    ...creatorWrites(
      db,
      {
        id: demo.creatorId,
        name: "Demo Creator",
        defaultCurrency: "USD",
        platformFeeBps: null,
        createdAt: now,
      },
      { actor: "seed", id: `aud_seed_${demo.creatorId}`, ifAbsent: true },
    ),
    ...keyWrites,
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
  keys: DemoKeys,
  now: number,
  surfaces: { overlayToken?: string } = {},
): Promise<void> =>
  runBatch(db, [
    ...demoSeedWrites(db, await demoKeyWrites(db, keys, now), now),
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
