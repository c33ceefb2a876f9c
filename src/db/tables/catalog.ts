/** Creators, their keys, what they sell (offers, prices, bundles, drops) and their members. */
import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, creatorRef, updatedAt } from "./columns";

export const offerKinds = ["one_time", "membership", "upsell", "bundle"] as const;
/** A membership's billing period (src/subscriptions/intervals.ts counts them): a fortnight is 2 weeks. */
export const billingIntervals = ["week", "fortnight", "month", "year"] as const;
export type BillingInterval = (typeof billingIntervals)[number];
export const offerStatuses = ["active", "archived"] as const;
export const dropStates = ["open", "closed"] as const;
/** What a buyer must show to hold a drop's units (docs/buyer-tokens.md). */
export const buyerProofs = ["none", "token", "pow"] as const;
export const memberCohorts = ["seasonal", "utility", "founding"] as const;
export const memberStatuses = ["active", "lapsed", "cancelled"] as const;
/** A suspended creator's keys and buyer routes answer `creator_suspended`; nothing of theirs is deleted. */
export const creatorStatuses = ["active", "suspended"] as const;
/** docs/keys.md: a secret key does everything, a restricted key only its scopes, a publishable key names the creator on buyer routes. */
export const apiKeyKinds = ["secret", "restricted", "publishable"] as const;
export type ApiKeyKind = (typeof apiKeyKinds)[number];

export const creators = sqliteTable("creators", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  defaultCurrency: text("default_currency").notNull(),
  /** Cohort rules (members/cohorts.ts): members who join before this moment are `founding`. */
  foundingCohortUntil: integer("founding_cohort_until", { mode: "number" }),
  /** The cohort of members who join otherwise. */
  defaultCohort: text("default_cohort", { enum: memberCohorts }).notNull().default("utility"),
  /** The cohort of members who join at a pop-up, when it differs from the default. */
  popUpCohort: text("pop_up_cohort", { enum: memberCohorts }),
  /** Renewing memberships: how long a past_due member keeps access (null: the default, 3 days). */
  subscriptionGraceMs: integer("subscription_grace_ms", { mode: "number" }),
  /** How long past an active period's end access lasts while its renewal lands (null: 2 hours; at least 1). */
  subscriptionLeewayMs: integer("subscription_leeway_ms", { mode: "number" }),
  /**
   * The lower tier a past_due member keeps after grace ends, until the dunning deadline, instead of
   * nothing (null: none). Not a foreign key: it would make drizzle-kit rebuild the creators table.
   */
  subscriptionDowngradeOfferId: text("subscription_downgrade_offer_id"),
  /** What a subscription becomes when its last retry fails: `unpaid` (kept, resumable) or `canceled`. */
  dunningOutcome: text("dunning_outcome", { enum: ["unpaid", "canceled"] })
    .notNull()
    .default("unpaid"),
  /** Set by the platform operator (docs/keys.md, Operator). */
  status: text("status", { enum: creatorStatuses }).notNull().default("active"),
  suspendedAt: integer("suspended_at", { mode: "number" }),
  suspensionReason: text("suspension_reason"),
  /** The platform's fee on each payment to a connected account, in basis points (null: none). */
  platformFeeBps: integer("platform_fee_bps"),
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
    kind: text("kind", { enum: apiKeyKinds }).notNull().default("secret"),
    /** JSON array of scopes (src/keys/scopes.ts); `["*"]` for a secret key, `[]` for a publishable one. */
    scopes: text("scopes").notNull().default('["*"]'),
    createdAt: createdAt(),
    revokedAt: integer("revoked_at", { mode: "number" }),
    /** A rotated key works until here (its overlap window), then never again. */
    expiresAt: integer("expires_at", { mode: "number" }),
    /** The key that replaced this one in a rotation. */
    replacedBy: text("replaced_by"),
    /** Written at most once a minute per key per isolate (src/keys/last-used.ts), never per request. */
    lastUsedAt: integer("last_used_at", { mode: "number" }),
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
    /** A physical good: checkout asks for a shipping address, and the paid order is routed and fulfilled. */
    requiresShipping: integer("requires_shipping", { mode: "boolean" }).notNull().default(false),
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
    /** When an order is refunded, do its units go back on sale? (Off: they stay sold.) */
    restockOnRefund: integer("restock_on_refund", { mode: "boolean" }).notNull().default(false),
    state: text("state", { enum: dropStates }).notNull().default("open"),
    closedAt: integer("closed_at", { mode: "number" }),
    /**
     * Shard objects the drop's stock is split across (docs/sharding.md); 1 is the drop's own object
     * alone. Fixed at creation: a buyer's shard is a hash of their key modulo this.
     */
    shards: integer("shards").notNull().default(1),
    /** The fair admission queue at drop start (docs/admission.md), and how many viewers it admits a second. */
    queueEnabled: integer("queue_enabled", { mode: "boolean" }).notNull().default(false),
    queueAdmitPerSecond: integer("queue_admit_per_second"),
    /** What a buyer must show to hold units: nothing, a signed buyer token, or one earned by proof of work. */
    buyerProof: text("buyer_proof", { enum: buyerProofs }).notNull().default("none"),
    /** Leading zero bits a proof of work must find, when buyer_proof is "pow". */
    powDifficulty: integer("pow_difficulty"),
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
    /**
     * Bumped by every revocation. Entitlement tokens carry the version they were minted at, so
     * introspection refuses older tokens at once and offline verifiers stop within a token's lifetime.
     */
    tokenVersion: integer("token_version").notNull().default(0),
    joinedAt: integer("joined_at", { mode: "number" }).notNull(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("members_creator_email_unique").on(t.creatorId, t.email),
    index("members_creator_joined_idx").on(t.creatorId, t.joinedAt, t.id),
  ],
);
