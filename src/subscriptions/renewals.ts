/**
 * The renewal engine for subscriptions this worker bills itself (the sandbox provider): the cron sweep
 * and the sandbox clock (clock.ts) claim what is due and run each subscription's due steps (billing.ts)
 * in order: a renewal charged with the saved card, a retry of a failed one, the end of a cancelling
 * period. Each step is one provider call and one guarded batch (store.ts), in which the invoice, the
 * subscription, the tier entitlement, the MRR movement and the audit row land together.
 *
 * Nothing is charged twice: a step's charge carries an idempotency key naming the subscription, the
 * period and the attempt, so a step retried after a crash (its claim expired) gets the same payment
 * back, and the reducer ignores facts it already holds. A claim is a lease on `due_at`, so two sweeps
 * never work on one subscription at once.
 */
import { and, asc, eq, inArray, isNotNull, lte, sql } from "drizzle-orm";
import { destinationNow, payoutRefusal } from "../connect/checkout";
import type { PayoutsMode } from "../connect/payouts";
import type { Db, Write } from "../db/client";
import { creators, type SubscriptionRow, subscriptions } from "../db/schema";
import type { Payment, PaymentFailure, PaymentProvider } from "../payments/provider";
import { afterCharge, chargedBack, ended, NO_DUNNING, type Step, stepAt } from "./billing";
import { invoiceWrite } from "./invoices";
import {
  type Applied,
  applyTo,
  type BillingSettings,
  billingSettingsOf,
  DEFAULT_SETTINGS,
  dunningOf,
  intervalOfRow,
  type Loaded,
  loadSubscription,
  settingsColumns,
  stateOf,
  wallDueOf,
} from "./store";

export interface RenewalContext {
  db: Db;
  /** Wall-clock time. */
  now: number;
  provider: PaymentProvider;
  actor: string;
  /** When given, each renewal's time from the payment's success to its landed entitlement (ms). */
  timings?: number[];
  /** Payments the provider reported disputed while this context charged them (its dispute events). */
  disputed?: ReadonlySet<string>;
  /** PAYOUTS_MODE (docs/payouts.md); `platform` when absent. */
  payoutsMode?: PayoutsMode;
}

export interface RenewalReport {
  /** Subscriptions claimed and stepped. */
  subscriptions: number;
  renewed: number;
  failed: number;
  recovered: number;
  ended: number;
  /** Steps left for a later sweep (the provider did not answer, or a step kept conflicting). */
  deferred: number;
}

const LEASE_MS = 60_000;
/** Enough for a year of weekly renewals with every retry, for one subscription in one sweep. */
const MAX_STEPS = 400;

export const emptyReport = (): RenewalReport => ({
  subscriptions: 0,
  renewed: 0,
  failed: 0,
  recovered: 0,
  ended: 0,
  deferred: 0,
});

/**
 * Claims up to `limit` due subscriptions (all creators, or one) and runs their due steps, `concurrency`
 * at a time. Only the sandbox's subscriptions are billed here; a provider that bills itself (Stripe
 * Billing) reports its renewals as events instead.
 */
export async function renewDue(
  ctx: RenewalContext,
  opts: { creatorId?: string; limit?: number; concurrency?: number } = {},
): Promise<RenewalReport> {
  const report = emptyReport();
  if (ctx.provider.name !== "sandbox") return report;
  const claimed = await claimDue(ctx, opts.creatorId, opts.limit ?? 100);
  if (claimed.length === 0) return report;
  const settings = await settingsOf(ctx.db, [...new Set(claimed.map((r) => r.creatorId))]);
  const queue = [...claimed];
  const worker = async () => {
    for (let row = queue.shift(); row !== undefined; row = queue.shift()) {
      await runSteps(ctx, { row, settings: settings.get(row.creatorId) ?? DEFAULT_SETTINGS }, report);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 16, claimed.length) }, worker));
  return report;
}

/** Leases the due rows in one statement: their `due_at` moves a minute on, so no other sweep takes them. */
async function claimDue(ctx: RenewalContext, creatorId: string | undefined, limit: number) {
  const due = ctx.db
    .select({ id: subscriptions.id })
    .from(subscriptions)
    .where(
      and(
        isNotNull(subscriptions.dueAt),
        lte(subscriptions.dueAt, ctx.now),
        // The sandbox's only: Stripe Billing renews its own and reports them as events.
        eq(subscriptions.provider, "sandbox"),
        creatorId === undefined ? undefined : eq(subscriptions.creatorId, creatorId),
      ),
    )
    .orderBy(asc(subscriptions.dueAt))
    .limit(limit);
  return ctx.db
    .update(subscriptions)
    .set({ dueAt: ctx.now + LEASE_MS })
    .where(and(inArray(subscriptions.id, due), lte(subscriptions.dueAt, ctx.now)))
    .returning();
}

/** The billing settings of these creators. */
export async function settingsOf(db: Db, creatorIds: string[]): Promise<Map<string, BillingSettings>> {
  const rows = await db
    .select({
      id: creators.id,
      ...settingsColumns,
    })
    .from(creators)
    .where(inArray(creators.id, creatorIds));
  return new Map(rows.map((r) => [r.id, billingSettingsOf(r)]));
}

/** Runs one subscription's due steps until none is due at its own now. */
export async function runSteps(
  ctx: RenewalContext,
  start: Loaded,
  report: RenewalReport = emptyReport(),
): Promise<SubscriptionRow> {
  report.subscriptions += 1;
  let loaded = start;
  for (let i = 0; i < MAX_STEPS; i++) {
    const { row } = loaded;
    const billed = {
      state: stateOf(row),
      anchor: row.anchor,
      interval: intervalOfRow(row),
      dunning: dunningOf(row),
    };
    const step = stepAt(billed, ctx.now + row.clockOffsetMs);
    let applied: Applied | "conflict" | "deferred";
    if (step.kind === "none") {
      // Give back the lease: the row's due time is what its state says.
      const due = wallDueOf(billed.state, billed.dunning, row.clockOffsetMs);
      if (row.dueAt !== due) await restoreDue(ctx.db, row, due);
      return { ...row, dueAt: due };
    }
    if (step.kind === "end") {
      applied = await applyTo(ctx, loaded, [ended(billed.state, step.at)], { action: "subscription.ended" });
      if (applied !== "conflict") report.ended += 1;
    } else {
      applied = await charge(ctx, loaded, step, report);
    }
    if (applied === "deferred") {
      report.deferred += 1;
      return row;
    }
    if (applied === "conflict") {
      const again = await loadSubscription(ctx.db, row.id);
      if (again === undefined) return row;
      loaded = again;
      continue;
    }
    loaded = { row: applied.row, settings: loaded.settings };
  }
  report.deferred += 1;
  return loaded.row;
}

/** The row's due time back from the lease to what its state says (a step that found nothing to do). */
const restoreDue = (db: Db, row: SubscriptionRow, dueAt: number | null) =>
  db
    .update(subscriptions)
    .set({ dueAt })
    .where(and(eq(subscriptions.id, row.id), eq(subscriptions.version, row.version)));

/** Charges a period with the saved card and lands the outcome with its invoice. */
export async function charge(
  ctx: RenewalContext,
  loaded: Loaded,
  step: ChargeStep,
  report: RenewalReport = emptyReport(),
): Promise<Applied | "conflict" | "deferred"> {
  const charged = await chargeCard(ctx, loaded.row, step).catch(payoutRefusal);
  if (charged === "deferred") return "deferred";
  const refusal = charged !== null && "refused" in charged ? charged.refused : null;
  const payment = refusal === null ? (charged as Payment | null) : null;
  const { row } = loaded;
  // Off-session, a card that asks for 3-D Secure cannot be charged: that is a failed attempt.
  const paid = payment?.status === "succeeded";
  const outcome = afterCharge(
    step,
    paid,
    dunningOf(row),
    loaded.settings.dunningOutcome,
    row.cancelAtPeriodEnd,
  );
  const disputed = paid && payment !== null && ctx.disputed?.has(payment.id) === true;
  const answered = Date.now();
  const applied = await applyTo(
    ctx,
    loaded,
    disputed ? [...outcome.events, ...chargedBack(step)] : outcome.events,
    {
      dunning: disputed ? NO_DUNNING : outcome.dunning,
      writes: [chargedInvoice(ctx, row, step, payment, disputed ? "refunded" : outcome.invoice, refusal)],
      action: disputed
        ? "subscription.charged_back"
        : paid
          ? step.attempt === 1
            ? "subscription.renewed"
            : "subscription.recovered"
          : "subscription.payment_failed",
      ...(disputed ? { revokeReason: "chargeback" as const } : {}),
    },
  );
  if (applied !== "conflict") {
    if (paid) ctx.timings?.push(Date.now() - answered);
    if (paid && step.attempt === 1) report.renewed += 1;
    else if (paid) report.recovered += 1;
    else report.failed += 1;
  }
  return applied;
}

type ChargeStep = Extract<Step, { kind: "charge" }>;

/**
 * One charge of a period with the saved card: null when there is none to charge, "deferred" when the
 * provider did not answer (the same key is tried again later: it never charges twice).
 */
export async function chargeCard(
  ctx: RenewalContext,
  row: SubscriptionRow,
  step: ChargeStep,
): Promise<Payment | null | "deferred"> {
  if (row.paymentMethod === null) return null;
  // Throws payouts_not_ready (a renewal lands it as a failed attempt; a resume answers 409).
  const destination = await destinationNow(ctx, row.creatorId, row.amount);
  try {
    return await ctx.provider.create({
      amount: row.amount,
      currency: row.currency,
      ...(destination === undefined ? {} : { destination }),
      paymentMethod: row.paymentMethod,
      description: `Subscription ${row.id}, period from ${new Date(step.periodStart).toISOString()}`,
      metadata: {
        creator_id: row.creatorId,
        subscription_id: row.id,
        period_start: String(step.periodStart),
        attempt: String(step.attempt),
      },
      idempotencyKey: `renewal:${row.id}:${step.periodStart}:${step.attempt}:${row.paymentMethod}`,
    });
  } catch {
    return "deferred";
  }
}

/** The period's invoice after this attempt. */
export function chargedInvoice(
  ctx: RenewalContext,
  row: SubscriptionRow,
  step: ChargeStep,
  payment: Payment | null,
  status: "paid" | "open" | "uncollectible" | "refunded",
  refusal: PaymentFailure | null = null,
): Write {
  const error =
    status === "paid"
      ? null
      : JSON.stringify(
          refusal ??
            payment?.lastError ??
            (payment === null
              ? { code: "no_payment_method", message: "No saved payment method." }
              : { code: "authentication_required", message: "The card asks for authentication." }),
        );
  return invoiceWrite(
    ctx.db,
    {
      creatorId: row.creatorId,
      subscriptionId: row.id,
      periodIndex: step.periodIndex,
      periodStart: step.periodStart,
      periodEnd: step.periodEnd,
      amount: row.amount,
      currency: row.currency,
      status,
      paymentId: payment?.id ?? null,
      lastError: error,
      at: step.at,
    },
    ctx.now,
  );
}

/** How many subscriptions are due now (a creator's, or all): what a sweep has left. */
export async function dueCount(db: Db, now: number, creatorId?: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)` })
    .from(subscriptions)
    .where(
      and(
        lte(subscriptions.dueAt, now),
        creatorId === undefined ? undefined : eq(subscriptions.creatorId, creatorId),
      ),
    );
  return row?.n ?? 0;
}
