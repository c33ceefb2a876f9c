/**
 * Micro-upsells and bundles: how many paying buyers also took an upsell, and how much larger a basket is
 * with an upsell or a bundle in it. Baskets are built in SQL with window functions over one creator's
 * orders paid in the range (index orders(creator_id, paid_at)); the worker reads one row.
 */
import { sql } from "drizzle-orm";
import type { Call } from "../context";
import type { MetricReport } from "../contract/metrics";
import { readBatch, utcDay } from "./checkout-sql";
import { dailySeries, type MetricInput, num, rate, report, reportCurrency, resolveRange } from "./range";

/** A buyer's paid orders at most this far apart are one basket. */
export const BASKET_GAP_MS = 30 * 60_000;

export const UPSELLS_DEFINITION =
  "Over orders paid in the range (paid_at; refunded later still counted) in the report's currency: " +
  "upsell_conversion = buyers (buyer_key) who paid for an upsell offer ÷ buyers who paid for anything. " +
  "A basket is one buyer's paid orders each within 30 minutes of the one before; AOV is the mean basket " +
  "total, aov_with for baskets holding an upsell or a bundle, aov_without for the others, and aov_lift = " +
  "aov_with ÷ aov_without − 1. Orders without a buyer key are each their own basket.";

type Summary = {
  buyers: number;
  upsell_buyers: number;
  upsell_orders: number;
  upsell_revenue: number;
  baskets: number;
  baskets_with: number;
  total_with: number;
  total_without: number;
};

export async function upsellsReport({ ctx, input }: Call<MetricInput>): Promise<MetricReport> {
  const range = resolveRange(input);
  const currency = await reportCurrency(ctx, input.currency);
  const paidInRange = sql`o.creator_id = ${ctx.creatorId} AND o.paid_at >= ${range.from}
    AND o.paid_at < ${range.to} AND o.currency = ${currency}`;
  const [[s], daily] = await readBatch<[Summary, { day: string; buyers: number; upsell_buyers: number }]>(
    ctx.db,
    [
      sql`
      WITH paid AS MATERIALIZED (
        SELECT o.id AS id, coalesce(o.buyer_key, 'order:' || o.id) AS buyer, o.paid_at AS at, o.amount_total AS amount,
          f.kind = 'upsell' AS upsell, f.kind IN ('upsell', 'bundle') AS lifts
        FROM orders o JOIN offers f ON f.id = o.offer_id
        WHERE ${paidInRange}
      ),
      gaps AS (
        SELECT id, buyer, at, amount, lifts,
          CASE WHEN at - LAG(at) OVER (PARTITION BY buyer ORDER BY at, id) <= ${BASKET_GAP_MS} THEN 0 ELSE 1 END
            AS opens
        FROM paid
      ),
      numbered AS (
        SELECT buyer, amount, lifts,
          SUM(opens) OVER (PARTITION BY buyer ORDER BY at, id ROWS UNBOUNDED PRECEDING) AS basket
        FROM gaps
      ),
      baskets AS (
        SELECT SUM(amount) AS total, MAX(lifts) AS lifts FROM numbered GROUP BY buyer, basket
      )
      SELECT
        (SELECT COUNT(DISTINCT buyer) FROM paid) AS buyers,
        (SELECT COUNT(DISTINCT buyer) FROM paid WHERE upsell) AS upsell_buyers,
        (SELECT COUNT(*) FROM paid WHERE upsell) AS upsell_orders,
        (SELECT SUM(amount) FROM paid WHERE upsell) AS upsell_revenue,
        COUNT(*) AS baskets,
        SUM(CASE WHEN lifts THEN 1 ELSE 0 END) AS baskets_with,
        SUM(CASE WHEN lifts THEN total ELSE 0 END) AS total_with,
        SUM(CASE WHEN lifts THEN 0 ELSE total END) AS total_without
      FROM baskets`,
      sql`
      SELECT ${utcDay("o.paid_at")} AS day, COUNT(DISTINCT coalesce(o.buyer_key, 'order:' || o.id)) AS buyers,
        COUNT(DISTINCT CASE WHEN f.kind = 'upsell' THEN o.buyer_key END) AS upsell_buyers
      FROM orders o JOIN offers f ON f.id = o.offer_id
      WHERE ${paidInRange} GROUP BY day`,
    ],
  );
  const baskets = num(s?.baskets);
  const withCount = num(s?.baskets_with);
  const aovWith = rate(num(s?.total_with), withCount);
  const aovWithout = rate(num(s?.total_without), baskets - withCount);
  return report("upsells", UPSELLS_DEFINITION, range, currency, {
    summary: {
      paying_buyers: num(s?.buyers),
      upsell_buyers: num(s?.upsell_buyers),
      upsell_conversion: rate(num(s?.upsell_buyers), num(s?.buyers)),
      upsell_orders: num(s?.upsell_orders),
      upsell_revenue: num(s?.upsell_revenue),
      baskets,
      baskets_with_upsell_or_bundle: withCount,
      aov_with: aovWith,
      aov_without: aovWithout,
      aov_lift: aovWith === null || aovWithout === null || aovWithout === 0 ? null : aovWith / aovWithout - 1,
    },
    series: [
      dailySeries(
        "upsell_conversion",
        "rate",
        range.days,
        new Map(daily.map((d) => [d.day, rate(num(d.upsell_buyers), num(d.buyers))])),
      ),
      dailySeries("paying_buyers", "count", range.days, new Map(daily.map((d) => [d.day, num(d.buyers)]))),
    ],
  });
}
