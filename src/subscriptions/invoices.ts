/**
 * Invoices: one row per billed period of a subscription, written in the same batch as the facts its
 * charge adds (store.ts), so an invoice and the access it paid for never disagree. A retry updates the
 * period's row in place (attempts, the last payment and error, the outcome).
 */
import { sql } from "drizzle-orm";
import type { Db, Write } from "../db/client";
import { type SubscriptionInvoiceRow, subscriptionInvoices as si } from "../db/schema";

export interface InvoiceFacts {
  creatorId: string;
  subscriptionId: string;
  periodIndex: number;
  periodStart: number;
  periodEnd: number;
  amount: number;
  currency: string;
  status: SubscriptionInvoiceRow["status"];
  paymentId: string | null;
  lastError: string | null;
  /** The subscription's time of the attempt; the paid time when it succeeded. */
  at: number;
  /** Attempts so far, when the provider counts them (Stripe); else each write is one more attempt. */
  attempts?: number;
}

/** The invoice for a period, after one more attempt (its id derived from the subscription and period). */
export const invoiceWrite = (db: Db, f: InvoiceFacts, now: number): Write =>
  db
    .insert(si)
    .values({
      id: invoiceIdFor(f.subscriptionId, f.periodStart),
      creatorId: f.creatorId,
      subscriptionId: f.subscriptionId,
      periodIndex: f.periodIndex,
      periodStart: f.periodStart,
      periodEnd: f.periodEnd,
      amount: f.amount,
      currency: f.currency,
      status: f.status,
      attempts: f.attempts ?? 1,
      paymentId: f.paymentId,
      lastError: f.lastError,
      paidAt: f.status === "paid" ? f.at : null,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoUpdate({
      target: [si.subscriptionId, si.periodStart],
      set: {
        status: f.status,
        attempts: f.attempts ?? sql`${si.attempts} + 1`,
        ...(f.paymentId === null ? {} : { paymentId: f.paymentId }),
        lastError: f.lastError,
        paidAt: f.status === "paid" ? f.at : null,
        updatedAt: now,
      },
    });

/** `inv_<subscription>_<period start>`: one id per billed period, the same on every retry. */
export const invoiceIdFor = (subscriptionId: string, periodStart: number) =>
  `inv_${subscriptionId.slice(4)}_${periodStart.toString(36)}`;
