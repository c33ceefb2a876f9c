/** Pricing beyond the base price table: country prices, member discounts, experiments, coupons. */
import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { offers } from "./catalog";
import { createdAt, creatorRef, updatedAt } from "./columns";

export const experimentStatuses = ["draft", "running", "stopped"] as const;
export const armAdjustmentKinds = ["none", "percent", "amount"] as const;
export const couponStatuses = ["active", "archived"] as const;

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
