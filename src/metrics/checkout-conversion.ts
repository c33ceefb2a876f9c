/**
 * Conversion by source (link, overlay, POS, API) and by experiment arm. Exposures are the counters
 * (quotes and holds, counters.ts); orders and revenue are the creator's orders created in the range.
 * Per arm, paid orders and revenue follow the experiment results' rule (src/experiments/store.ts,
 * `loadResults`): an order counts while it is `paid`; a refunded one never counts as revenue.
 */
import { sql } from "drizzle-orm";
import type { Call } from "../context";
import type { MetricReport } from "../contract/metrics";
import { orderSources } from "../db/schema";
import { counterDays, groupValue, readBatch, utcDay } from "./checkout-sql";
import { dailySeries, type MetricInput, num, rate, report, reportCurrency, resolveRange } from "./range";

export const CONVERSION_DEFINITION =
  "By source: quotes and holds counted as they happen (whole UTC days; a quote's source is known only for " +
  "API callers), orders created in the range (every checkout writes one; a point-of-sale sale writes a " +
  "paid one) and of those the paid ones; conversion is paid ÷ orders, and paid ÷ quotes. By experiment " +
  "arm: exposures are the arm's quotes, conversions its orders created in the range that are paid, " +
  "revenue their totals in the report's currency, and revenue_per_exposure revenue ÷ exposures.";

type SourceRow = { source: string; orders: number; paid: number };
type ArmRow = { experiment_id: string; arm: string; paid: number; revenue: number };
type ExposureRow = { kind: string; source: string; experiment_id: string; arm: string; n: number };

export async function conversionReport({ ctx, input }: Call<MetricInput>): Promise<MetricReport> {
  const range = resolveRange(input);
  const currency = await reportCurrency(ctx, input.currency);
  const c = ctx.creatorId;
  const inRange = sql`creator_id = ${c} AND created_at >= ${range.from} AND created_at < ${range.to}`;
  const [exposures, bySource, byArm, daily] = await readBatch<
    [ExposureRow, SourceRow, ArmRow, { day: string; orders: number; paid: number }]
  >(ctx.db, [
    sql`
      SELECT kind, source, experiment_id, experiment_arm AS arm, SUM(count) AS n FROM exposure_counts
      WHERE creator_id = ${c} AND ${counterDays("day", range)} AND kind IN ('quote', 'hold')
      GROUP BY kind, source, experiment_id, experiment_arm`,
    sql`
      SELECT source, COUNT(*) AS orders, SUM(CASE WHEN paid_at IS NOT NULL THEN 1 ELSE 0 END) AS paid
      FROM orders WHERE ${inRange} GROUP BY source`,
    sql`
      SELECT experiment_id, experiment_arm AS arm, COUNT(*) AS paid,
        SUM(CASE WHEN currency = ${currency} THEN amount_total ELSE 0 END) AS revenue
      FROM orders WHERE ${inRange} AND experiment_id IS NOT NULL AND status = 'paid'
      GROUP BY experiment_id, experiment_arm`,
    sql`
      SELECT ${utcDay("created_at")} AS day, COUNT(*) AS orders,
        SUM(CASE WHEN paid_at IS NOT NULL THEN 1 ELSE 0 END) AS paid
      FROM orders WHERE ${inRange} GROUP BY day`,
  ]);

  const sum = (pick: (e: ExposureRow) => boolean) => exposures.filter(pick).reduce((n, e) => n + num(e.n), 0);
  const sources = new Set<string>([...orderSources, ...bySource.map((s) => s.source)]);
  const sourceRows = [...sources].map((source) => {
    const row = bySource.find((s) => s.source === source);
    const [orders, paid] = [num(row?.orders), num(row?.paid)];
    const quotes = sum((e) => e.kind === "quote" && e.source === source);
    return {
      group: { source },
      values: {
        quotes,
        holds: sum((e) => e.kind === "hold" && e.source === source),
        orders,
        paid,
        conversion: rate(paid, orders),
        paid_per_quote: rate(paid, quotes),
      },
    };
  });
  const unattributed = sum((e) => e.kind === "quote" && !sources.has(e.source));

  const arms = new Map<string, { experiment_id: string; arm: string }>();
  for (const e of exposures) if (e.experiment_id !== "") arms.set(`${e.experiment_id} ${e.arm}`, e);
  for (const a of byArm) arms.set(`${a.experiment_id} ${a.arm}`, a);
  const armRows = [...arms.values()]
    .sort((a, b) => (`${a.experiment_id} ${a.arm}` < `${b.experiment_id} ${b.arm}` ? -1 : 1))
    .map(({ experiment_id, arm }) => {
      const exposed = sum((e) => e.kind === "quote" && e.experiment_id === experiment_id && e.arm === arm);
      const paid = byArm.find((a) => a.experiment_id === experiment_id && a.arm === arm);
      return {
        group: { experiment_id, arm: groupValue(arm) },
        values: {
          exposures: exposed,
          conversions: num(paid?.paid),
          conversion: rate(num(paid?.paid), exposed),
          revenue: num(paid?.revenue),
          revenue_per_exposure: rate(num(paid?.revenue), exposed),
        },
      };
    });

  const orders = bySource.reduce((n, s) => n + num(s.orders), 0);
  const paid = bySource.reduce((n, s) => n + num(s.paid), 0);
  const quotes = sum((e) => e.kind === "quote");
  return report("conversion", CONVERSION_DEFINITION, range, currency, {
    summary: {
      quotes,
      quotes_without_source: unattributed,
      holds: sum((e) => e.kind === "hold"),
      orders,
      paid,
      conversion: rate(paid, orders),
      paid_per_quote: rate(paid, quotes),
    },
    series: [
      dailySeries("orders", "count", range.days, new Map(daily.map((d) => [d.day, num(d.orders)]))),
      dailySeries("paid", "count", range.days, new Map(daily.map((d) => [d.day, num(d.paid)]))),
      dailySeries(
        "conversion",
        "rate",
        range.days,
        new Map(daily.map((d) => [d.day, rate(num(d.paid), num(d.orders))])),
      ),
    ],
    breakdowns: [
      { name: "by_source", by: ["source"], rows: sourceRows },
      { name: "by_experiment_arm", by: ["experiment_id", "arm"], rows: armRows },
    ],
  });
}
