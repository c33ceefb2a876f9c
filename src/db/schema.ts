/**
 * The D1 schema. This file is the source of truth: `npm run db:generate` turns changes here into
 * SQL under migrations/, which wrangler applies locally and remotely and the tests apply too.
 *
 * Conventions: ids are prefixed random strings (`off_…`); timestamps are integer milliseconds since
 * the Unix epoch, UTC; money is an integer amount in the currency's minor unit plus an ISO 4217 code.
 * Every tenant-owned row carries `creator_id`, and every query filters on it.
 */
import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const createdAt = () => integer("created_at", { mode: "number" }).notNull();
const updatedAt = () => integer("updated_at", { mode: "number" }).notNull();
const creatorRef = () =>
  text("creator_id")
    .notNull()
    .references(() => creators.id);

export const offerKinds = ["one_time", "membership", "upsell", "bundle"] as const;
export const billingIntervals = ["month", "year"] as const;
export const offerStatuses = ["active", "archived"] as const;
export const dropStates = ["open", "closed"] as const;
export const memberCohorts = ["seasonal", "utility", "founding"] as const;
export const memberStatuses = ["active", "lapsed", "cancelled"] as const;
export const orderStatuses = ["pending", "paid", "failed", "cancelled", "refunded"] as const;
export const orderSources = ["link", "overlay", "pos", "api"] as const;
export const entitlementSources = ["order", "subscription", "pos", "admin"] as const;
export const experimentStatuses = ["draft", "running", "stopped"] as const;
export const armAdjustmentKinds = ["none", "percent", "amount"] as const;
export const couponStatuses = ["active", "archived"] as const;

export const creators = sqliteTable("creators", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  defaultCurrency: text("default_currency").notNull(),
  createdAt: createdAt(),
});

/** API keys are shown once at creation; only their SHA-256 is kept. */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    creatorId: creatorRef(),
    name: text("name").notNull(),
    /** First characters of the key, safe to display so a creator can tell keys apart. */
    prefix: text("prefix").notNull(),
    hash: text("hash").notNull(),
    createdAt: createdAt(),
    revokedAt: integer("revoked_at", { mode: "number" }),
  },
  (t) => [uniqueIndex("api_keys_hash_unique").on(t.hash), index("api_keys_creator_idx").on(t.creatorId)],
);

export const offers = sqliteTable(
  "offers",
  {
    id: text("id").primaryKey(),
    creatorId: creatorRef(),
    kind: text("kind", { enum: offerKinds }).notNull(),
    title: text("title").notNull(),
    description: text("description"),
    defaultCurrency: text("default_currency").notNull(),
    /** Memberships only: how often the tier bills. */
    billingInterval: text("billing_interval", { enum: billingIntervals }),
    /** Memberships only: the tier's place on the creator's ladder; a higher rank is a higher tier. */
    tierRank: integer("tier_rank"),
    status: text("status", { enum: offerStatuses }).notNull().default("active"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("offers_creator_created_idx").on(t.creatorId, t.createdAt, t.id),
    uniqueIndex("offers_creator_tier_rank_unique").on(t.creatorId, t.tierRank),
    check(
      "offers_membership_fields",
      sql`(${t.kind} = 'membership') = (${t.billingInterval} IS NOT NULL AND ${t.tierRank} IS NOT NULL)`,
    ),
  ],
);

/** One price per currency per offer, set by the creator; no exchange rates are ever applied. */
export const offerPrices = sqliteTable(
  "offer_prices",
  {
    offerId: text("offer_id")
      .notNull()
      .references(() => offers.id, { onDelete: "cascade" }),
    currency: text("currency").notNull(),
    amount: integer("amount").notNull(),
    /**
     * The least a quote may total per unit in this currency, whatever discounts apply; null means 0.
     * (0 <= floor <= amount is checked on write: a CHECK here would make drizzle-kit rebuild the table.)
     */
    floor: integer("floor"),
  },
  (t) => [
    primaryKey({ columns: [t.offerId, t.currency] }),
    check("offer_prices_amount", sql`${t.amount} >= 0`),
  ],
);

/**
 * Purchasing-power prices: in a given buyer country the offer costs this much in one of its currencies.
 * The quote shows the difference from the currency's price as its localization line.
 */
export const offerCountryPrices = sqliteTable(
  "offer_country_prices",
  {
    offerId: text("offer_id")
      .notNull()
      .references(() => offers.id, { onDelete: "cascade" }),
    /** ISO 3166-1 alpha-2, upper case. */
    country: text("country").notNull(),
    currency: text("currency").notNull(),
    amount: integer("amount").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.offerId, t.country] }),
    check("offer_country_prices_amount", sql`${t.amount} >= 0`),
  ],
);

/** Member pricing: members of `tier_offer_id` (or a higher tier) get this much off the offer. */
export const offerMemberDiscounts = sqliteTable(
  "offer_member_discounts",
  {
    offerId: text("offer_id")
      .notNull()
      .references(() => offers.id, { onDelete: "cascade" }),
    tierOfferId: text("tier_offer_id")
      .notNull()
      .references(() => offers.id),
    /** Basis points: 1000 is 10 %. */
    percentOffBps: integer("percent_off_bps").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.offerId, t.tierOfferId] }),
    check("offer_member_discounts_bps", sql`${t.percentOffBps} BETWEEN 1 AND 10000`),
  ],
);

/**
 * A price experiment on one offer. At most one runs per offer at a time; arms are fixed once it starts,
 * so an arm name always means the same price change.
 */
export const experiments = sqliteTable(
  "experiments",
  {
    id: text("id").primaryKey(),
    creatorId: creatorRef(),
    offerId: text("offer_id")
      .notNull()
      .references(() => offers.id),
    name: text("name").notNull(),
    status: text("status", { enum: experimentStatuses }).notNull(),
    startedAt: integer("started_at", { mode: "number" }),
    stoppedAt: integer("stopped_at", { mode: "number" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("experiments_creator_created_idx").on(t.creatorId, t.createdAt, t.id),
    index("experiments_offer_status_idx").on(t.offerId, t.status),
  ],
);

export const experimentArms = sqliteTable(
  "experiment_arms",
  {
    experimentId: text("experiment_id")
      .notNull()
      .references(() => experiments.id, { onDelete: "cascade" }),
    /** Short name, unique within the experiment: "control", "low", … */
    key: text("key").notNull(),
    weight: integer("weight").notNull(),
    adjustmentKind: text("adjustment_kind", { enum: armAdjustmentKinds }).notNull(),
    /** For percent arms: signed basis points (-1000 is 10 % off). */
    percentBps: integer("percent_bps"),
    /** For amount arms: JSON object of currency → signed minor units. */
    amounts: text("amounts"),
    position: integer("position").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.experimentId, t.key] }),
    check("experiment_arms_weight", sql`${t.weight} >= 1`),
  ],
);

/**
 * A coupon code. `redeemed_count` only moves at payment success, in the same batch as the redemption
 * row, guarded so that it can never pass `max_redemptions`.
 */
export const coupons = sqliteTable(
  "coupons",
  {
    id: text("id").primaryKey(),
    creatorId: creatorRef(),
    /** Upper-cased; unique per creator. */
    code: text("code").notNull(),
    /** Exactly one of percent_off_bps and amount_off (with currency) is set. */
    percentOffBps: integer("percent_off_bps"),
    amountOff: integer("amount_off"),
    currency: text("currency"),
    /** JSON array of offer ids it applies to; null for every offer. */
    offerIds: text("offer_ids"),
    expiresAt: integer("expires_at", { mode: "number" }),
    maxRedemptions: integer("max_redemptions"),
    maxPerBuyer: integer("max_per_buyer"),
    redeemedCount: integer("redeemed_count").notNull().default(0),
    status: text("status", { enum: couponStatuses }).notNull().default("active"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("coupons_creator_code_unique").on(t.creatorId, t.code),
    index("coupons_creator_created_idx").on(t.creatorId, t.createdAt, t.id),
    check(
      "coupons_one_discount",
      sql`(${t.percentOffBps} IS NULL) <> (${t.amountOff} IS NULL) AND (${t.amountOff} IS NULL) = (${t.currency} IS NULL)`,
    ),
    check("coupons_percent", sql`${t.percentOffBps} IS NULL OR ${t.percentOffBps} BETWEEN 1 AND 10000`),
    check("coupons_amount", sql`${t.amountOff} IS NULL OR ${t.amountOff} >= 1`),
    check(
      "coupons_redemptions",
      sql`${t.maxRedemptions} IS NULL OR ${t.redeemedCount} <= ${t.maxRedemptions}`,
    ),
  ],
);

/** One row per paid order that used a coupon: the per-buyer count and the audit trail. */
export const couponRedemptions = sqliteTable(
  "coupon_redemptions",
  {
    couponId: text("coupon_id")
      .notNull()
      .references(() => coupons.id),
    orderId: text("order_id").notNull(),
    buyerKey: text("buyer_key").notNull(),
    redeemedAt: integer("redeemed_at", { mode: "number" }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.couponId, t.orderId] }),
    index("coupon_redemptions_buyer_idx").on(t.couponId, t.buyerKey),
  ],
);

/** What a bundle contains; checkout holds each component's drop. */
export const bundleComponents = sqliteTable(
  "bundle_components",
  {
    bundleId: text("bundle_id")
      .notNull()
      .references(() => offers.id, { onDelete: "cascade" }),
    componentId: text("component_id")
      .notNull()
      .references(() => offers.id),
    quantity: integer("quantity").notNull().default(1),
  },
  (t) => [
    primaryKey({ columns: [t.bundleId, t.componentId] }),
    index("bundle_components_component_idx").on(t.componentId),
    check("bundle_components_quantity", sql`${t.quantity} >= 1`),
  ],
);

/**
 * A scheduled, capped run of an offer. `stock` is the cap the creator set; the drop's Durable Object
 * owns the live counters (held, sold, available) once inventory lands.
 */
export const drops = sqliteTable(
  "drops",
  {
    id: text("id").primaryKey(),
    creatorId: creatorRef(),
    offerId: text("offer_id")
      .notNull()
      .references(() => offers.id),
    title: text("title").notNull(),
    stock: integer("stock").notNull(),
    startsAt: integer("starts_at", { mode: "number" }).notNull(),
    endsAt: integer("ends_at", { mode: "number" }),
    perBuyerLimit: integer("per_buyer_limit"),
    holdTtlSeconds: integer("hold_ttl_seconds").notNull().default(300),
    state: text("state", { enum: dropStates }).notNull().default("open"),
    closedAt: integer("closed_at", { mode: "number" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("drops_creator_created_idx").on(t.creatorId, t.createdAt, t.id),
    index("drops_offer_idx").on(t.offerId),
    check("drops_stock", sql`${t.stock} >= 0`),
    check("drops_window", sql`${t.endsAt} IS NULL OR ${t.endsAt} > ${t.startsAt}`),
    check("drops_per_buyer_limit", sql`${t.perBuyerLimit} IS NULL OR ${t.perBuyerLimit} >= 1`),
    check("drops_hold_ttl", sql`${t.holdTtlSeconds} BETWEEN 30 AND 3600`),
  ],
);

export const members = sqliteTable(
  "members",
  {
    id: text("id").primaryKey(),
    creatorId: creatorRef(),
    /** Trimmed and lower-cased before it is stored, so one person is one member per creator. */
    email: text("email").notNull(),
    tierOfferId: text("tier_offer_id").references(() => offers.id),
    cohort: text("cohort", { enum: memberCohorts }).notNull(),
    /** Where the member came from: link, overlay, api, or `pos:<event name>`. */
    acquisitionSource: text("acquisition_source").notNull(),
    status: text("status", { enum: memberStatuses }).notNull().default("active"),
    joinedAt: integer("joined_at", { mode: "number" }).notNull(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("members_creator_email_unique").on(t.creatorId, t.email),
    index("members_creator_joined_idx").on(t.creatorId, t.joinedAt, t.id),
  ],
);

export const orders = sqliteTable(
  "orders",
  {
    id: text("id").primaryKey(),
    creatorId: creatorRef(),
    memberId: text("member_id").references(() => members.id),
    email: text("email").notNull(),
    offerId: text("offer_id")
      .notNull()
      .references(() => offers.id),
    dropId: text("drop_id").references(() => drops.id),
    quantity: integer("quantity").notNull(),
    currency: text("currency").notNull(),
    amountTotal: integer("amount_total").notNull(),
    status: text("status", { enum: orderStatuses }).notNull(),
    source: text("source", { enum: orderSources }).notNull(),
    /** The stable key of the buyer who paid (`member:<id>` or `anon:<id>`): coupon limits and upsells. */
    buyerKey: text("buyer_key"),
    /** The quote, experiment arm and coupon the price came from, for attribution and revenue per arm. */
    quoteId: text("quote_id"),
    experimentId: text("experiment_id"),
    experimentArm: text("experiment_arm"),
    couponCode: text("coupon_code"),
    /** Drop hold reserved for this order, if any. */
    holdId: text("hold_id"),
    provider: text("provider"),
    providerPaymentId: text("provider_payment_id"),
    /** Client-generated id, e.g. a POS device's item UUID: one order per client id per creator. */
    clientReference: text("client_reference"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    paidAt: integer("paid_at", { mode: "number" }),
  },
  (t) => [
    index("orders_creator_created_idx").on(t.creatorId, t.createdAt, t.id),
    index("orders_member_idx").on(t.memberId),
    index("orders_experiment_idx").on(t.experimentId, t.experimentArm),
    uniqueIndex("orders_provider_payment_unique").on(t.provider, t.providerPaymentId),
    uniqueIndex("orders_creator_client_reference_unique").on(t.creatorId, t.clientReference),
    check("orders_quantity", sql`${t.quantity} >= 1`),
    check("orders_amount", sql`${t.amountTotal} >= 0`),
  ],
);

export const entitlements = sqliteTable(
  "entitlements",
  {
    id: text("id").primaryKey(),
    creatorId: creatorRef(),
    memberId: text("member_id")
      .notNull()
      .references(() => members.id),
    /** The offer that granted it, when it came from one. */
    offerId: text("offer_id").references(() => offers.id),
    /** What it unlocks: the offer id for offer grants, or a named benefit such as "backstage". */
    benefitKey: text("benefit_key").notNull(),
    sourceType: text("source_type", { enum: entitlementSources }).notNull(),
    sourceId: text("source_id").notNull(),
    grantedAt: integer("granted_at", { mode: "number" }).notNull(),
    /** Null for lifetime access; the period end for memberships. */
    expiresAt: integer("expires_at", { mode: "number" }),
    revokedAt: integer("revoked_at", { mode: "number" }),
    revokeReason: text("revoke_reason"),
  },
  (t) => [
    // Granting is idempotent per source: one entitlement per (source, benefit).
    uniqueIndex("entitlements_source_unique").on(t.creatorId, t.sourceType, t.sourceId, t.benefitKey),
    index("entitlements_member_idx").on(t.memberId),
  ],
);

/** Every state change writes one row here, in the same D1 batch as the change itself. */
export const auditEvents = sqliteTable(
  "audit_events",
  {
    id: text("id").primaryKey(),
    creatorId: creatorRef(),
    /** Who did it: `api_key:<id>`, `system`, `seed`, … */
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    subjectType: text("subject_type").notNull(),
    subjectId: text("subject_id").notNull(),
    /** JSON of what changed. */
    data: text("data").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("audit_events_subject_idx").on(t.creatorId, t.subjectType, t.subjectId, t.createdAt)],
);

/**
 * Idempotency keys for retried writes, scoped to the creator. A claim is taken before the write
 * runs (state in_flight, locked until a deadline) and completed in the same D1 batch as the write,
 * so a stored response always describes rows that exist.
 */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    creatorId: creatorRef(),
    key: text("key").notNull(),
    /** SHA-256 of method, path and body: the same key with another request is refused. */
    requestHash: text("request_hash").notNull(),
    /** Random per claim: only the request holding it may complete the key. */
    lockToken: text("lock_token").notNull(),
    lockedUntil: integer("locked_until", { mode: "number" }),
    responseStatus: integer("response_status"),
    responseBody: text("response_body"),
    createdAt: createdAt(),
    expiresAt: integer("expires_at", { mode: "number" }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.creatorId, t.key] }),
    index("idempotency_keys_expires_idx").on(t.expiresAt),
  ],
);

export type OfferRow = typeof offers.$inferSelect;
export type DropRow = typeof drops.$inferSelect;
export type MemberRow = typeof members.$inferSelect;
export type ExperimentRow = typeof experiments.$inferSelect;
export type ExperimentArmRow = typeof experimentArms.$inferSelect;
export type CouponRow = typeof coupons.$inferSelect;
