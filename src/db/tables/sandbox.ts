/**
 * The sandbox payment provider's own state (src/payments/sandbox.ts): what a payment processor would
 * hold, kept in D1 so that a 3-D Secure step, a retry or a refund finds the payment again. Used only
 * when no Stripe key is configured; nothing else reads these tables.
 */
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, updatedAt } from "./columns";

export const sandboxPayments = sqliteTable(
  "sandbox_payments",
  {
    /** `pi_sbx_…` */
    id: text("id").primaryKey(),
    /** The caller's key and a hash of what it asked: a replay answers the same payment. */
    idempotencyKey: text("idempotency_key").notNull(),
    requestHash: text("request_hash").notNull(),
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    /** A PaymentStatus (src/payments/provider.ts). */
    status: text("status").notNull(),
    /** The test card (digits only) or test token the payment was confirmed with. */
    paymentMethod: text("payment_method"),
    clientSecret: text("client_secret").notNull(),
    /** JSON of the last failed attempt: `{ code, declineCode, message }`. */
    lastError: text("last_error"),
    /** JSON string map. */
    metadata: text("metadata").notNull(),
    latestCharge: text("latest_charge"),
    amountRefunded: integer("amount_refunded").notNull().default(0),
    /** Stripe's dispute test card (4000 0000 0000 0259) is disputed as fraudulent once it succeeds. */
    disputeId: text("dispute_id"),
    disputeStatus: text("dispute_status"),
    disputeReason: text("dispute_reason"),
    disputeCreatedAt: integer("dispute_created_at", { mode: "number" }),
    /** A destination charge (Connect): the account the share goes to, the fee kept, and what was taken back. */
    transferDestination: text("transfer_destination"),
    applicationFeeAmount: integer("application_fee_amount"),
    transferReversed: integer("transfer_reversed").notNull().default(0),
    applicationFeeRefunded: integer("application_fee_refunded").notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("sandbox_payments_idempotency_unique").on(t.idempotencyKey)],
);

export const sandboxRefunds = sqliteTable(
  "sandbox_refunds",
  {
    /** `re_sbx_…` */
    id: text("id").primaryKey(),
    paymentId: text("payment_id")
      .notNull()
      .references(() => sandboxPayments.id),
    idempotencyKey: text("idempotency_key").notNull(),
    requestHash: text("request_hash").notNull(),
    amount: integer("amount").notNull(),
    reason: text("reason"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("sandbox_refunds_idempotency_unique").on(t.idempotencyKey),
    index("sandbox_refunds_payment_idx").on(t.paymentId),
  ],
);

/** The sandbox's Connect accounts (src/payments/sandbox-connect.ts): onboarded on a local page. */
export const sandboxAccounts = sqliteTable("sandbox_accounts", {
  /** `acct_sbx_…` */
  id: text("id").primaryKey(),
  idempotencyKey: text("idempotency_key").notNull().unique(),
  type: text("type").notNull(),
  email: text("email"),
  country: text("country"),
  detailsSubmitted: integer("details_submitted", { mode: "boolean" }).notNull().default(false),
  chargesEnabled: integer("charges_enabled", { mode: "boolean" }).notNull().default(false),
  payoutsEnabled: integer("payouts_enabled", { mode: "boolean" }).notNull().default(false),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** Transfers and reversals the sandbox made for destination charges. */
export const sandboxTransfers = sqliteTable(
  "sandbox_transfers",
  {
    /** `tr_sbx_…` or `trr_sbx_…` */
    id: text("id").primaryKey(),
    idempotencyKey: text("idempotency_key").notNull(),
    paymentId: text("payment_id").notNull(),
    account: text("account").notNull(),
    kind: text("kind", { enum: ["transfer", "reversal"] }).notNull(),
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("sandbox_transfers_idempotency_unique").on(t.idempotencyKey)],
);
