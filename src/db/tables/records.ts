/** What happened: orders, entitlements, the audit log and idempotency keys. */
import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { drops, members, offers } from "./catalog";
import { createdAt, creatorRef, updatedAt } from "./columns";

export const orderStatuses = ["pending", "paid", "failed", "cancelled", "refunded"] as const;
export const orderSources = ["link", "overlay", "pos", "api"] as const;
export const entitlementSources = ["order", "subscription", "pos", "admin"] as const;
export const revocationReasons = ["refund", "chargeback", "cancellation", "admin"] as const;

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
    /**
     * What a point of sale recorded for a card it captured offline: the terminal's or the card network's
     * reference, kept for reconciling with the acquirer. Not unique (it is theirs, not ours), so it is not
     * `provider_payment_id`, whose unique index would silently drop a second sale under the same reference.
     */
    paymentReference: text("payment_reference"),
    /**
     * Stripe Connect (docs/payouts.md): the connected account this order's payment was a destination
     * charge for, and the platform's fee kept from it (minor units); both null when the platform took
     * the money itself (no Connect).
     */
    destinationAccount: text("destination_account"),
    platformFeeAmount: integer("platform_fee_amount"),
    /** Client-generated id, e.g. a POS device's item UUID: one order per client id per creator. */
    clientReference: text("client_reference"),
    /**
     * The buyer's bank disputed the payment (src/checkout/disputes.ts): the provider's dispute id, its
     * status as the provider last reported it (`needs_response`, `won`, `lost`, `warning_…` for an
     * inquiry), and when it was first learned. A chargeback revokes what the order granted; the order
     * stays `paid` (the money was received, and a dispute can be won).
     */
    disputeId: text("dispute_id"),
    disputeStatus: text("dispute_status"),
    disputedAt: integer("disputed_at", { mode: "number" }),
    /**
     * Physical orders only (the offer requires shipping); null for digital ones. The address is JSON
     * (`{ name, line1, line2, city, region, postal_code, country }`), validated per country at checkout.
     * The path and hub are the creator's routing rule's decision when the order is paid; the batch
     * window is the start of the hub's window the order ships in.
     */
    shippingAddress: text("shipping_address", { mode: "json" }).$type<Record<string, string>>(),
    fulfilmentStatus: text("fulfilment_status", {
      enum: ["unfulfilled", "packed", "shipped", "delivered", "returned"],
    }),
    fulfilmentPath: text("fulfilment_path", { enum: ["micro_hub", "central"] }),
    fulfilmentHubId: text("fulfilment_hub_id"),
    fulfilmentBatchAt: integer("fulfilment_batch_at", { mode: "number" }),
    carrier: text("carrier"),
    trackingNumber: text("tracking_number"),
    fulfilmentUpdatedAt: integer("fulfilment_updated_at", { mode: "number" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    paidAt: integer("paid_at", { mode: "number" }),
  },
  (t) => [
    index("orders_creator_created_idx").on(t.creatorId, t.createdAt, t.id),
    index("orders_member_idx").on(t.memberId),
    index("orders_experiment_idx").on(t.experimentId, t.experimentArm),
    index("orders_creator_paid_idx").on(t.creatorId, t.paidAt),
    index("orders_creator_fulfilment_idx").on(t.creatorId, t.fulfilmentStatus, t.fulfilmentBatchAt),
    uniqueIndex("orders_provider_payment_unique").on(t.provider, t.providerPaymentId),
    uniqueIndex("orders_creator_client_reference_unique").on(t.creatorId, t.clientReference),
    // A quote pays for one order: reusing it would repeat its coupon past a per-buyer cap.
    uniqueIndex("orders_quote_unique").on(t.quoteId),
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
    revokeReason: text("revoke_reason", { enum: revocationReasons }),
  },
  (t) => [
    // Granting is idempotent per source: one entitlement per (source, benefit).
    uniqueIndex("entitlements_source_unique").on(t.creatorId, t.sourceType, t.sourceId, t.benefitKey),
    index("entitlements_member_idx").on(t.memberId),
  ],
);

/**
 * Refresh credentials: opaque, long-lived, shown once and stored only as a SHA-256. Each use rotates it:
 * the row is marked rotated and a successor joins the same family. Presenting a rotated credential
 * again (outside an idempotent retry) means it leaked, so the whole family is revoked.
 */
export const refreshCredentials = sqliteTable(
  "refresh_credentials",
  {
    id: text("id").primaryKey(),
    creatorId: creatorRef(),
    memberId: text("member_id")
      .notNull()
      .references(() => members.id),
    /** The first credential's id: every rotation stays in its family. */
    familyId: text("family_id").notNull(),
    secretHash: text("secret_hash").notNull(),
    /** The audience tokens minted from this family carry. */
    audience: text("audience").notNull(),
    createdAt: createdAt(),
    expiresAt: integer("expires_at", { mode: "number" }).notNull(),
    rotatedAt: integer("rotated_at", { mode: "number" }),
    successorId: text("successor_id"),
    /** SHA-256 of the Idempotency-Key the rotation ran under, so a retry of it gets the same successor. */
    rotationKeyHash: text("rotation_key_hash"),
    revokedAt: integer("revoked_at", { mode: "number" }),
    revokeReason: text("revoke_reason"),
  },
  (t) => [
    uniqueIndex("refresh_credentials_secret_unique").on(t.secretHash),
    index("refresh_credentials_family_idx").on(t.familyId),
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
