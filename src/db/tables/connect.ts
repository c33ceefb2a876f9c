/**
 * Stripe Connect (docs/payouts.md): each creator's connected account, its readiness as the last
 * `account.updated` (re-read from the provider) reported it, and every movement of a creator's share
 * after the charge itself: transfer reversals on refunds and disputes, and transfers back on a won one.
 */
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, creatorRef, updatedAt } from "./columns";

export const connectAccountTypes = ["express", "standard"] as const;
export type ConnectAccountType = (typeof connectAccountTypes)[number];

export const connectedAccounts = sqliteTable(
  "connected_accounts",
  {
    /** One account per creator. */
    creatorId: creatorRef().primaryKey(),
    /** `acct_…` (`acct_sbx_…` in the sandbox). */
    accountId: text("account_id").notNull(),
    type: text("type", { enum: connectAccountTypes }).notNull(),
    chargesEnabled: integer("charges_enabled", { mode: "boolean" }).notNull().default(false),
    payoutsEnabled: integer("payouts_enabled", { mode: "boolean" }).notNull().default(false),
    detailsSubmitted: integer("details_submitted", { mode: "boolean" }).notNull().default(false),
    /** JSON array of Stripe's `requirements.currently_due`. */
    requirementsDue: text("requirements_due").notNull().default("[]"),
    /** Stripe's `requirements.disabled_reason`, when the account cannot take charges. */
    disabledReason: text("disabled_reason"),
    /** Which provider holds the account: `stripe` or `sandbox`. */
    provider: text("provider").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("connected_accounts_account_unique").on(t.accountId)],
);

export const connectTransferKinds = ["reversal", "transfer"] as const;

export const connectTransfers = sqliteTable(
  "connect_transfers",
  {
    /** `ctr_…` */
    id: text("id").primaryKey(),
    creatorId: creatorRef(),
    orderId: text("order_id"),
    /** The destination charge's payment (`pi_…`). */
    paymentId: text("payment_id").notNull(),
    accountId: text("account_id").notNull(),
    /** `reversal`: taken back from the account; `transfer`: sent to it again (a dispute won). */
    kind: text("kind", { enum: connectTransferKinds }).notNull(),
    /** Why: `refund` or `dispute`, and the refund or dispute id it answers (one movement per source). */
    reason: text("reason", { enum: ["refund", "dispute", "dispute_won"] }).notNull(),
    sourceId: text("source_id").notNull(),
    /** Minor units moved, and the platform fee refunded with it (refunds only). */
    amount: integer("amount").notNull(),
    feeRefunded: integer("fee_refunded").notNull().default(0),
    currency: text("currency").notNull(),
    /** The provider's id (`trr_…`, `tr_…`). */
    providerId: text("provider_id"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("connect_transfers_source_unique").on(t.kind, t.reason, t.sourceId),
    index("connect_transfers_creator_idx").on(t.creatorId, t.createdAt),
  ],
);
