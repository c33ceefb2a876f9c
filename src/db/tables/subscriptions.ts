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
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("subscriptions_member_idx").on(t.creatorId, t.memberId),
    uniqueIndex("subscriptions_provider_unique").on(t.provider, t.providerSubscriptionId),
  ],
);
