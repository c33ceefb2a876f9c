/** Checkouts (the buyer's side of an order while it is being paid) and the payment event inbox. */
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { drops, members } from "./catalog";
import { createdAt, creatorRef, updatedAt } from "./columns";
import { orders } from "./records";

export const checkoutStatuses = [
  "pending",
  "requires_action",
  "paid",
  "failed",
  "expired",
  "refunded",
] as const;

/**
 * One per order. `pending` waits for payment; `requires_action` waits for 3-D Secure; `paid` is final
 * until a refund; `failed` (declined) and `expired` (the hold lapsed unpaid) released their hold.
 */
export const checkouts = sqliteTable(
  "checkouts",
  {
    /** `chk_…` */
    id: text("id").primaryKey(),
    creatorId: creatorRef(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    status: text("status", { enum: checkoutStatuses }).notNull(),
    /** SHA-256 of the checkout secret the buyer got: only its holder reads the checkout. */
    secretHash: text("secret_hash").notNull(),
    buyerKey: text("buyer_key").notNull(),
    email: text("email").notNull(),
    /** Known at creation from a member token, else set when payment lands (found or created by email). */
    memberId: text("member_id").references(() => members.id),
    provider: text("provider").notNull(),
    paymentId: text("payment_id"),
    /** The provider's client secret for client-side confirmation (Stripe.js). */
    clientSecret: text("client_secret"),
    /** JSON `{ type, redirectUrl }` while 3-D Secure is pending. */
    nextAction: text("next_action"),
    dropId: text("drop_id").references(() => drops.id),
    holdId: text("hold_id"),
    holdExpiresAt: integer("hold_expires_at", { mode: "number" }),
    holdExtended: integer("hold_extended", { mode: "boolean" }).notNull().default(false),
    /**
     * JSON `[{ dropId, holdId, quantity }]`: every hold this checkout took, all or nothing (a bundle
     * holds each component's drop). Older rows have none: `dropId` and `holdId` describe theirs.
     */
    holds: text("holds"),
    /** JSON of the quote's priced lines: the receipt shows them. */
    lines: text("lines").notNull(),
    /** JSON of where the buyer came from (campaign, stream, placement…), as the client sent it. */
    attribution: text("attribution"),
    failureCode: text("failure_code"),
    declineCode: text("decline_code"),
    failureMessage: text("failure_message"),
    /** Why an order was refunded without anyone asking (e.g. paid after its hold lapsed, sold out). */
    autoRefundReason: text("auto_refund_reason"),
    /** When payment success was learned, and when the entitlement landed: time to entitlement. */
    paymentSucceededAt: integer("payment_succeeded_at", { mode: "number" }),
    entitlementIssuedAt: integer("entitlement_issued_at", { mode: "number" }),
    /** Which side completed it first: `confirm` (the buyer's client) or `event` (webhook or sandbox). */
    completedBy: text("completed_by"),
    /** Provider cost, summed over this checkout's calls: for the reporting the issue asks for. */
    providerLatencyMs: integer("provider_latency_ms").notNull().default(0),
    providerAttempts: integer("provider_attempts").notNull().default(0),
    providerRetries: integer("provider_retries").notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("checkouts_order_unique").on(t.orderId),
    uniqueIndex("checkouts_provider_payment_unique").on(t.provider, t.paymentId),
    index("checkouts_status_hold_idx").on(t.status, t.holdExpiresAt),
    index("checkouts_creator_created_idx").on(t.creatorId, t.createdAt, t.id),
  ],
);

/**
 * The payment event inbox: each provider event is stored once by id before anything acts on it, so a
 * redelivery changes nothing, and an event whose handling failed is retried from here by the cron.
 */
export const paymentEvents = sqliteTable(
  "payment_events",
  {
    provider: text("provider").notNull(),
    eventId: text("event_id").notNull(),
    type: text("type").notNull(),
    paymentId: text("payment_id"),
    /** JSON of the event as received (for replaying its handling). */
    payload: text("payload").notNull(),
    receivedAt: integer("received_at", { mode: "number" }).notNull(),
    processedAt: integer("processed_at", { mode: "number" }),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
  },
  (t) => [
    primaryKey({ columns: [t.provider, t.eventId] }),
    index("payment_events_unprocessed_idx").on(t.processedAt, t.receivedAt),
  ],
);

/**
 * The sweep's memory of checkouts it could not settle: when to try each again (exponential backoff), and
 * when it gave up and flagged one for a person. Without it the cron always took the oldest lapsed
 * checkouts, so a few it could never settle starved every newer one.
 */
export const checkoutSweeps = sqliteTable(
  "checkout_sweeps",
  {
    checkoutId: text("checkout_id")
      .primaryKey()
      .references(() => checkouts.id),
    /** Sweeps that left the checkout open (the provider failed, or the payment is not final yet). */
    attempts: integer("attempts").notNull(),
    /** Not tried before this; the lapsed checkout otherwise falls due at its hold's expiry. */
    nextAttemptAt: integer("next_attempt_at", { mode: "number" }).notNull(),
    lastError: text("last_error"),
    /** Set once it failed too often: the cron leaves it alone and a person looks (audit `checkout.sweep_flagged`). */
    flaggedAt: integer("flagged_at", { mode: "number" }),
    updatedAt: updatedAt(),
  },
  (t) => [index("checkout_sweeps_due_idx").on(t.flaggedAt, t.nextAttemptAt)],
);
