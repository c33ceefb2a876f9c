/**
 * Checkout payments: the failure rate, failures by decline code, buyers who paid after a failure, and the
 * provider calls the worker retried. One D1 batch over one creator's checkouts created in the range
 * (index checkouts(creator_id, created_at, id)); the retry check looks up paid orders by
 * orders(creator_id, paid_at) within a day of each failure.
 */
import { sql } from "drizzle-orm";
import type { Call } from "../context";
import type { MetricReport } from "../contract/metrics";
import { readBatch, utcDay } from "./checkout-sql";
import { DAY_MS, dailySeries, type MetricInput, num, rate, report, resolveRange } from "./range";

export const PAYMENTS_DEFINITION =
  "Over checkouts created in the range that created a payment (attempted): failed are those whose payment " +
  "was declined at least once (failure_code set, even if a later attempt paid), failure_rate = failed ÷ " +
  "attempted, grouped by decline code (the provider's decline_code, else its failure code). " +
  "buyer_retry_success = buyers with a failed checkout who paid for the same offer within 24 hours of that " +
  "checkout's creation (the same checkout paid on a retry counts) ÷ buyers with a failed checkout. " +
  "provider_retried = attempted checkouts whose provider calls were retried by the worker (network or 5xx), " +
  "provider_retry_success = of those, the share whose payment succeeded.";

type Totals = {
  attempted: number;
  failed: number;
  retried: number;
  retries: number;
  retried_paid: number;
  paid: number;
};

export async function paymentsReport({ ctx, input }: Call<MetricInput>): Promise<MetricReport> {
  const range = resolveRange(input);
  const c = ctx.creatorId;
  const attempted = sql`creator_id = ${c} AND created_at >= ${range.from} AND created_at < ${range.to}
    AND payment_id IS NOT NULL`;
  const [[totals], codes, daily, [retry]] = await readBatch<
    [
      Totals,
      { code: string; n: number },
      { day: string; attempted: number; failed: number },
      { buyers: number; recovered: number },
    ]
  >(ctx.db, [
    sql`
      SELECT COUNT(*) AS attempted,
        SUM(CASE WHEN failure_code IS NOT NULL THEN 1 ELSE 0 END) AS failed,
        SUM(CASE WHEN payment_succeeded_at IS NOT NULL THEN 1 ELSE 0 END) AS paid,
        SUM(CASE WHEN provider_retries > 0 THEN 1 ELSE 0 END) AS retried,
        SUM(provider_retries) AS retries,
        SUM(CASE WHEN provider_retries > 0 AND payment_succeeded_at IS NOT NULL THEN 1 ELSE 0 END) AS retried_paid
      FROM checkouts WHERE ${attempted}`,
    sql`
      SELECT coalesce(decline_code, failure_code) AS code, COUNT(*) AS n
      FROM checkouts WHERE ${attempted} AND failure_code IS NOT NULL
      GROUP BY code ORDER BY n DESC, code`,
    sql`
      SELECT ${utcDay("created_at")} AS day, COUNT(*) AS attempted,
        SUM(CASE WHEN failure_code IS NOT NULL THEN 1 ELSE 0 END) AS failed
      FROM checkouts WHERE ${attempted} GROUP BY day`,
    // Each failure, then the same buyer's next paid order of the same offer: one sort over the failures
    // and the range's paid orders (and a day past it), not a lookup per failure.
    sql`
      WITH failures AS (
        SELECT c.buyer_key AS buyer, o.offer_id AS offer, c.created_at AS t
        FROM checkouts c JOIN orders o ON o.id = c.order_id
        WHERE c.creator_id = ${c} AND c.created_at >= ${range.from} AND c.created_at < ${range.to}
          AND c.payment_id IS NOT NULL AND c.failure_code IS NOT NULL
      ),
      events AS (
        SELECT buyer, offer, t, 0 AS paid FROM failures
        UNION ALL
        SELECT p.buyer_key, p.offer_id, p.paid_at, 1 FROM orders p
        WHERE p.creator_id = ${c} AND p.paid_at >= ${range.from} AND p.paid_at < ${range.to + DAY_MS}
          AND p.buyer_key IS NOT NULL
      ),
      next_paid AS (
        SELECT buyer, t, paid, MIN(CASE WHEN paid = 1 THEN t END) OVER (
          PARTITION BY buyer, offer ORDER BY t, paid ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING
        ) AS paid_at
        FROM events
      )
      SELECT COUNT(DISTINCT buyer) AS buyers,
        COUNT(DISTINCT CASE WHEN paid_at < t + ${DAY_MS} THEN buyer END) AS recovered
      FROM next_paid WHERE paid = 0`,
  ]);
  const failed = num(totals?.failed);
  return report("payments", PAYMENTS_DEFINITION, range, null, {
    summary: {
      attempted: num(totals?.attempted),
      paid: num(totals?.paid),
      failed,
      failure_rate: rate(failed, num(totals?.attempted)),
      buyers_with_failure: num(retry?.buyers),
      buyers_recovered: num(retry?.recovered),
      buyer_retry_success: rate(num(retry?.recovered), num(retry?.buyers)),
      provider_retried: num(totals?.retried),
      provider_retries: num(totals?.retries),
      provider_retry_success: rate(num(totals?.retried_paid), num(totals?.retried)),
    },
    series: [
      dailySeries("attempted", "count", range.days, new Map(daily.map((d) => [d.day, num(d.attempted)]))),
      dailySeries("failed", "count", range.days, new Map(daily.map((d) => [d.day, num(d.failed)]))),
      dailySeries(
        "failure_rate",
        "rate",
        range.days,
        new Map(daily.map((d) => [d.day, rate(num(d.failed), num(d.attempted))])),
      ),
    ],
    breakdowns: [
      {
        name: "by_decline_code",
        by: ["decline_code"],
        rows: codes.map((r) => ({
          group: { decline_code: r.code },
          values: { failed: num(r.n), share_of_failed: rate(num(r.n), failed) },
        })),
      },
    ],
  });
}
