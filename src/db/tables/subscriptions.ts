/** Renewing memberships (issue 15): one row per subscription, its state as the access reducer keeps it. */
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { members, offers } from "./catalog";
import { createdAt, creatorRef, updatedAt } from "./columns";

export const subscriptionStatuses = [
  "incomplete",
  "trialing",
  "active",
  "past_due",
  "paused",
  "unpaid",
  "canceled",
] as const;
export const intervalUnits = ["week", "month", "year"] as const;

export const subscriptions = sqliteTable(
  "subscriptions",
  {
    id: text("id").primaryKey(),
    creatorId: creatorRef(),
    memberId: text("member_id")
      .notNull()
      .references(() => members.id),
    /** The membership tier it pays for. */
    offerId: text("offer_id")
      .notNull()
      .references(() => offers.id),
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    intervalUnit: text("interval_unit", { enum: intervalUnits }).notNull(),
    intervalCount: integer("interval_count").notNull(),
    /** The first period's start: every period is counted from it (src/subscriptions/intervals.ts). */
    anchor: integer("anchor", { mode: "number" }).notNull(),
    status: text("status", { enum: subscriptionStatuses }).notNull(),
    periodStart: integer("period_start", { mode: "number" }).notNull(),
    periodEnd: integer("period_end", { mode: "number" }).notNull(),
    cancelAtPeriodEnd: integer("cancel_at_period_end", { mode: "boolean" }).notNull().default(false),
    trialEnd: integer("trial_end", { mode: "number" }),
    /** JSON: the order of the provider snapshot applied last (src/subscriptions/access.ts). */
    statusKey: text("status_key"),
    /** JSON: every period an invoice was paid or refunded for. */
    periods: text("periods").notNull().default("[]"),
    /** Monotonic: every write is guarded on the version it read. */
    version: integer("version").notNull().default(0),
    provider: text("provider").notNull(),
    providerSubscriptionId: text("provider_subscription_id"),
    /** The order whose payment started it (a checkout), or null (converted from a till sale). */
    orderId: text("order_id"),
    /** What renewals are charged with: the sandbox's test card, or a Stripe PaymentMethod id. */
    paymentMethod: text("payment_method"),
    /**
     * The sandbox billing clock (src/subscriptions/clock.ts): how far this subscription's time runs ahead
     * of the wall clock. Always 0 outside development and test, and for Stripe (which keeps its own time).
     */
    clockOffsetMs: integer("clock_offset_ms").notNull().default(0),
    /** Wall-clock time its next step falls due (a renewal, a retry, the end of a cancelling period); null for none. */
    dueAt: integer("due_at", { mode: "number" }),
    /** Failed charges of the current invoice, and when the first failed (the subscription's own time). */
    dunningAttempts: integer("dunning_attempts").notNull().default(0),
    dunningSince: integer("dunning_since", { mode: "number" }),
    /** The last tier change applied (its signed quote's id): applying the same quote again changes nothing. */
    lastChangeId: text("last_change_id"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("subscriptions_member_idx").on(t.creatorId, t.memberId),
    uniqueIndex("subscriptions_provider_unique").on(t.provider, t.providerSubscriptionId),
    index("subscriptions_due_idx").on(t.dueAt),
    index("subscriptions_creator_created_idx").on(t.creatorId, t.createdAt, t.id),
    uniqueIndex("subscriptions_order_unique").on(t.orderId),
  ],
);

export const invoiceStatuses = ["open", "paid", "uncollectible", "void", "refunded"] as const;

/** One row per billed period: what was charged, how often it was tried, and how it ended. */
export const subscriptionInvoices = sqliteTable(
  "subscription_invoices",
  {
    id: text("id").primaryKey(),
    creatorId: creatorRef(),
    subscriptionId: text("subscription_id")
      .notNull()
      .references(() => subscriptions.id),
    /** Which period of its anchor (0 is the first, paid at checkout); one invoice per period start. */
    periodIndex: integer("period_index").notNull(),
    periodStart: integer("period_start", { mode: "number" }).notNull(),
    periodEnd: integer("period_end", { mode: "number" }).notNull(),
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    status: text("status", { enum: invoiceStatuses }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    /** The payment of the last attempt. */
    paymentId: text("payment_id"),
    lastError: text("last_error"),
    paidAt: integer("paid_at", { mode: "number" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // A period is named by its start: unique even when a resumed subscription counts from a new anchor.
    uniqueIndex("subscription_invoices_period_unique").on(t.subscriptionId, t.periodStart),
    index("subscription_invoices_creator_idx").on(t.creatorId, t.createdAt),
  ],
);

export const mrrMovementKinds = ["new", "expansion", "contraction", "churn", "reactivation"] as const;

/**
 * How monthly recurring revenue moved, as Stripe and ChartMogul define it: MRR counts active and
 * past_due subscriptions (never trials), normalised to a month (weekly × 52 ÷ 12). `amount` is the
 * change in minor units per month, signed, rounded to the unit.
 */
export const mrrMovements = sqliteTable(
  "mrr_movements",
  {
    id: text("id").primaryKey(),
    creatorId: creatorRef(),
    subscriptionId: text("subscription_id")
      .notNull()
      .references(() => subscriptions.id),
    kind: text("kind", { enum: mrrMovementKinds }).notNull(),
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    /** The subscription's own time (its sandbox clock), when the movement happened. */
    at: integer("at", { mode: "number" }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("mrr_movements_creator_at_idx").on(t.creatorId, t.at)],
);
