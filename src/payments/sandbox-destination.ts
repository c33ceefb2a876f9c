/**
 * Destination charges in the sandbox (docs/payouts.md), shared by its payments (sandbox.ts), refunds
 * (sandbox-refunds.ts) and Connect calls (sandbox-connect.ts): a destination charge is refused unless
 * its account can take charges, and transfers `amount - applicationFeeAmount` to the account the
 * moment it succeeds, in the same batch as the success. Every later movement of that share (a
 * reversal, a transfer back) is a `sandbox_transfers` row guarded against what was transferred.
 */
import { eq, sql } from "drizzle-orm";
import type { Db, Write } from "../db/client";
import { sandboxAccounts, sandboxTransfers, sandboxPayments as sp } from "../db/schema";
import { type CallStats, type Destination, type Payment, ProviderError } from "./provider";

type PaymentRow = typeof sp.$inferSelect;

export const keyReused = () =>
  new ProviderError(
    "invalid_request",
    "This idempotency key was already used with different parameters.",
    false,
    "idempotency_error",
  );

/** Counts one call in `stats`, as the Stripe provider counts its tries. */
export async function timed<T>(stats: CallStats | undefined, call: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await call();
  } finally {
    if (stats) {
      stats.attempts += 1;
      stats.latencyMs += Date.now() - started;
    }
  }
}

/**
 * A destination charge's transfer and a refund's reversal have ids derived from the payment's and the
 * refund's: the primary key then makes each land at most once, and an answer names it without a read.
 */
export const transferIdOf = (paymentId: string) => `tr_sbx_${paymentId.replace(/^pi_sbx_/, "")}`;
export const reversalIdOf = (refundId: string) => `trr_sbx_${refundId.replace(/^re_sbx_/, "")}`;

/** A payment's destination as `Payment.destination` reports it: absent when the platform keeps the money. */
export function destinationOf(row: PaymentRow): Pick<Payment, "destination"> {
  if (row.transferDestination === null) return {};
  return {
    destination: {
      account: row.transferDestination,
      applicationFeeAmount: row.applicationFeeAmount ?? 0,
      transfer: row.status === "succeeded" ? transferIdOf(row.id) : null,
    },
  };
}

/**
 * Why Stripe would refuse a destination charge to this account, or null when it would take it. An
 * account that has not finished onboarding lacks the `transfers` capability, in Stripe's own words.
 */
export async function destinationRefusal(
  db: Db,
  destination: Destination,
  amount: number,
): Promise<ProviderError | null> {
  const fee = destination.applicationFeeAmount;
  if (!Number.isInteger(fee) || fee < 0 || fee > amount) {
    return new ProviderError(
      "invalid_request",
      "The application fee amount must be a non-negative integer no larger than the amount.",
      false,
      "parameter_invalid_integer",
    );
  }
  const [account] = await db
    .select({ chargesEnabled: sandboxAccounts.chargesEnabled })
    .from(sandboxAccounts)
    .where(eq(sandboxAccounts.id, destination.account))
    .limit(1);
  if (account === undefined) {
    return new ProviderError(
      "invalid_request",
      `No such destination: '${destination.account}'`,
      false,
      "account_invalid",
    );
  }
  if (account.chargesEnabled) return null;
  return new ProviderError(
    "invalid_request",
    "Your destination account needs to have at least one of the following capabilities enabled: " +
      "transfers, crypto_transfers, legacy_payments",
    false,
    "insufficient_capabilities_for_transfer",
  );
}

/**
 * The creator's share, transferred when a destination charge succeeds. Put in the same batch as the
 * write that makes the payment succeed: it inserts only if the payment is now a succeeded destination
 * charge, and the id derived from the payment's makes racing confirms land it once.
 */
export const transferOnSuccess = (db: Db, paymentId: string, now: number): Write =>
  db
    .insert(sandboxTransfers)
    .select(
      // In the table's column order: id, idempotency_key, payment_id, account, kind, amount, currency, created_at.
      sql`SELECT ${transferIdOf(paymentId)}, ${`transfer:${paymentId}`}, p.id, p.transfer_destination, 'transfer',
        p.amount - coalesce(p.application_fee_amount, 0), p.currency, ${now}
      FROM sandbox_payments p
      WHERE p.id = ${paymentId} AND p.status = 'succeeded' AND p.transfer_destination IS NOT NULL`,
    )
    .onConflictDoNothing();

/** Everything transferred to the account for a payment so far, as SQL (a correlated guard). */
export const transferredSql = (paymentId: string) =>
  sql`(SELECT coalesce(sum(t.amount), 0) FROM sandbox_transfers t WHERE t.payment_id = ${paymentId} AND t.kind = 'transfer')`;

/** A guard for an update of `sandbox_payments`: `reversal` more still fits in what was transferred. */
export const reversalFits = (paymentId: string, reversal: number) =>
  sql`${sp.transferReversed} + ${reversal} <= ${transferredSql(paymentId)}`;
