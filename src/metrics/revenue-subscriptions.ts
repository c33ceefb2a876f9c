/**
 * `GET /v1/metrics/subscriptions`: churn (Stripe's subscriber churn rate and churned revenue), ARPU,
 * trial conversion, dunning recovery, retry success, the revenue given away during grace, and what
 * renewals billed net of refunds. Four statements, each over one creator's index range:
 * mrr_movements(creator_id, at), subscription_invoices(creator_id, created_at) and
 * subscriptions(creator_id, created_at, id).
 */
import { type SQL, sql } from "drizzle-orm";
import type { Call } from "../context";
import type { MetricReport } from "../contract/metrics";
import type { Db } from "../db/client";
import { DUNNING_MS } from "../subscriptions/billing";
import { DEFAULT_ACCESS_POLICY } from "../subscriptions/store";
import {
  DAY_MS,
  dailySeries,
  type MetricInput,
  num,
  type Range,
  rate,
  report,
  reportCurrency,
  resolveRange,
} from "./range";
import { dayOfIndex, memberMrr, otherCurrencySubscriptions } from "./revenue-sql";

export const SUBSCRIPTIONS_DEFINITION =
  "Subscriber churn rate (Stripe): members whose MRR went to 0 in the range ÷ (paying members at its " +
  "start + new paying members in it). Revenue churn: churned and contraction MRR ÷ opening MRR. ARPU: " +
  "closing MRR ÷ paying members at the end. Trial conversion: trials ending in the range that were paid " +
  "for after ÷ those trials. Dunning recovery: subscriptions whose renewal failed in the range that " +
  "were later paid ÷ those subscriptions; retry success: the same per invoice. Grace given away: the " +
  "share of the period a member kept in grace on invoices that were never paid.";

/**
 * Invoices first billed in the range (their `created_at`), in the currency. A renewal failed when its
 * first attempt failed: more than one attempt, or still unpaid after one. The first period of a
 * membership bought at checkout is its order's payment (written with the subscription), so it is left
 * out: the orders count it, and its refund refunds the order.
 */
const GRACE_MS = DEFAULT_ACCESS_POLICY.graceMs;
/** A first-period invoice written with its subscription by a checkout (its order's payment). */
export const paidByOrder = sql.raw(
  "EXISTS (SELECT 1 FROM subscriptions s WHERE s.id = i.subscription_id AND s.order_id IS NOT NULL AND s.created_at = i.created_at)",
);
export const invoiceQuery = (creatorId: string, range: Range, currency: string): SQL =>
  sql`WITH inv AS (
      SELECT i.subscription_id AS sub, i.amount, i.status, i.paid_at, i.created_at,
        (i.attempts > 1 OR (i.attempts >= 1 AND i.status IN ('open', 'uncollectible'))) AS failed,
        MAX(1, i.period_end - i.period_start) AS period_ms
      FROM subscription_invoices i
      WHERE i.creator_id = ${creatorId} AND i.created_at >= ${range.from} AND i.created_at < ${range.to}
        AND i.currency = ${currency} AND NOT (i.period_index = 0 AND ${paidByOrder})
    ),
    grace AS (
      SELECT MIN(COALESCE(subscription_grace_ms, ${GRACE_MS}), ${DUNNING_MS}) AS ms
      FROM creators WHERE id = ${creatorId}
    )
    SELECT
      COUNT(CASE WHEN failed THEN 1 END) AS failed_invoices,
      COUNT(CASE WHEN failed AND paid_at IS NOT NULL THEN 1 END) AS recovered_invoices,
      COUNT(DISTINCT CASE WHEN failed THEN sub END) AS dunned_subscriptions,
      COUNT(DISTINCT CASE WHEN failed AND paid_at IS NOT NULL THEN sub END) AS recovered_subscriptions,
      SUM(CASE WHEN paid_at IS NOT NULL THEN amount END) AS billed_revenue,
      SUM(CASE WHEN status = 'refunded' THEN amount END) AS refunded_revenue,
      SUM(CASE WHEN failed AND status = 'uncollectible'
        THEN CAST(ROUND(amount * MIN(1.0, (SELECT ms FROM grace) * 1.0 / period_ms)) AS INTEGER) END)
        AS grace_given_away
    FROM inv`;
const invoiceFacts = (db: Db, creatorId: string, range: Range, currency: string) =>
  db.all<Record<string, number | null>>(invoiceQuery(creatorId, range, currency));

/**
 * Trials that ended in the range: a subscription's trial end, or, for one converted from a pop-up till
 * (no order), its anchor, where the till's period ended and the first charge fell. Converted: an
 * invoice from the trial's end on was paid (and not for nothing).
 */
export const trialQuery = (creatorId: string, range: Range): SQL =>
  sql`WITH t AS (
      SELECT s.id, COALESCE(s.trial_end, CASE WHEN s.order_id IS NULL THEN s.anchor END) AS ends
      FROM subscriptions s
      WHERE s.creator_id = ${creatorId} AND s.created_at < ${range.to}
    )
    SELECT ends / ${DAY_MS} AS day, COUNT(*) AS trials,
      COUNT(CASE WHEN EXISTS (
        SELECT 1 FROM subscription_invoices i
        WHERE i.subscription_id = t.id AND i.period_start >= t.ends AND i.paid_at IS NOT NULL AND i.amount > 0
      ) THEN 1 END) AS converted
    FROM t WHERE ends >= ${range.from} AND ends < ${range.to}
    GROUP BY day`;
const trialFacts = (db: Db, creatorId: string, range: Range) =>
  db.all<{ trials: number; converted: number; day: number }>(trialQuery(creatorId, range));

export async function subscriptionsReport({ ctx, input }: Call<MetricInput>): Promise<MetricReport> {
  const range = resolveRange(input);
  const currency = await reportCurrency(ctx, input.currency);
  const [totals, [inv = {}], trials, excluded] = await Promise.all([
    memberMrr(ctx.db, ctx.creatorId, range, currency),
    invoiceFacts(ctx.db, ctx.creatorId, range, currency),
    trialFacts(ctx.db, ctx.creatorId, range),
    otherCurrencySubscriptions(ctx.db, ctx.creatorId, range, currency),
  ]);
  const kind = (k: string) => totals.byKind.find((r) => r.kind === k);
  const churned = kind("churn")?.members ?? 0;
  const joined = kind("new")?.members ?? 0;
  const churnedMrr = -((kind("churn")?.amount ?? 0) + (kind("contraction")?.amount ?? 0));
  const trialCount = trials.reduce((n, t) => n + t.trials, 0);
  const convertedCount = trials.reduce((n, t) => n + t.converted, 0);
  const byDay = new Map(trials.map((t) => [dayOfIndex(t.day), rate(t.converted, t.trials)]));
  const billed = num(inv.billed_revenue);
  const refunded = num(inv.refunded_revenue);
  return report("subscriptions", SUBSCRIPTIONS_DEFINITION, range, currency, {
    summary: {
      subscriber_churn_rate: rate(churned, totals.openingSubscribers + joined),
      churned_subscribers: churned,
      opening_subscribers: totals.openingSubscribers,
      new_subscribers: joined,
      closing_subscribers: totals.closingSubscribers,
      churned_revenue: churnedMrr,
      revenue_churn_rate: rate(churnedMrr, totals.openingMrr),
      opening_mrr: totals.openingMrr,
      closing_mrr: totals.closingMrr,
      arpu: totals.closingSubscribers > 0 ? Math.round(totals.closingMrr / totals.closingSubscribers) : null,
      trials_ended: trialCount,
      trials_converted: convertedCount,
      trial_conversion_rate: rate(convertedCount, trialCount),
      dunned_subscriptions: num(inv.dunned_subscriptions),
      recovered_subscriptions: num(inv.recovered_subscriptions),
      dunning_recovery_rate: rate(num(inv.recovered_subscriptions), num(inv.dunned_subscriptions)),
      failed_renewals: num(inv.failed_invoices),
      recovered_renewals: num(inv.recovered_invoices),
      retry_success_rate: rate(num(inv.recovered_invoices), num(inv.failed_invoices)),
      grace_given_away: num(inv.grace_given_away),
      renewal_revenue: billed,
      refunded_revenue: refunded,
      net_renewal_revenue: billed - refunded,
      excluded_other_currency: excluded,
    },
    series: [dailySeries("trial_conversion_rate", "rate", range.days, byDay)],
  });
}
