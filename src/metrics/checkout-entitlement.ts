/**
 * Time to entitlement: payment succeeded → entitlement landed, per checkout, as percentiles overall, per
 * UTC day and per drop, and as an SLO (the share of paid checkouts within a target). The percentiles are
 * nearest-rank, computed in SQL with window functions over one creator's checkouts in the range, so the
 * worker reads one row per day and per drop, never one per checkout.
 */
import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { Call } from "../context";
import type { MetricReport, MetricValue } from "../contract/metrics";
import { queryInt } from "../http/query";
import { assertOwnDrop, groupValue, nearestRank, readBatch, utcDay } from "./checkout-sql";
import { dailySeries, MetricQuery, num, orNull, rate, report, resolveRange } from "./range";

export const DEFAULT_TARGET_MS = 1000;
/** A count over a whole partition that shares its window's sort with ROW_NUMBER (one sort, not two). */
const WHOLE = sql.raw("ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING");

export const TIME_TO_ENTITLEMENT_DEFINITION =
  "Per paid checkout created in the range: the milliseconds from when its payment's success was learned " +
  "(payment_succeeded_at) to when its entitlement landed (entitlement_issued_at). p50, p90 and p99 are " +
  "nearest-rank percentiles (the value at rank ⌈p/100 × n⌉ of the sorted times), overall, per UTC day of " +
  "the checkout's creation and per drop. within_target is the share of those checkouts at or under " +
  "target_ms (default 1000). Checkouts refunded before any entitlement (sold out) are not counted.";

export const TimeToEntitlementQuery = MetricQuery.omit({ currency: true }).extend({
  drop_id: z
    .string()
    .regex(/^drp_[0-9a-z_]{1,60}$/)
    .optional()
    .openapi({ description: "Only this drop's checkouts (another creator's drop is 404)." }),
  target_ms: queryInt({ min: 1, max: 3_600_000 })
    .optional()
    .openapi({ description: "The SLO target in ms (default 1000); a query parameter, not stored." }),
});
export type TimeToEntitlementInput = z.infer<typeof TimeToEntitlementQuery>;

type Row = {
  grp: "all" | "day" | "drop";
  k: string;
  n: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  within: number | null;
};

export async function timeToEntitlementReport({
  ctx,
  input,
}: Call<TimeToEntitlementInput>): Promise<MetricReport> {
  const range = resolveRange(input);
  const target = input.target_ms ?? DEFAULT_TARGET_MS;
  await assertOwnDrop(ctx, input.drop_id);
  const dropFilter = input.drop_id === undefined ? sql`` : sql`AND drop_id = ${input.drop_id}`;
  const figures = (rank: string, count: string) =>
    sql`COUNT(*) AS n, ${nearestRank(rank, count, 50)} AS p50, ${nearestRank(rank, count, 90)} AS p90,
      ${nearestRank(rank, count, 99)} AS p99, SUM(CASE WHEN ms <= ${target} THEN 1 ELSE 0 END) AS within`;
  const [rows] = await readBatch<[Row]>(ctx.db, [
    sql`
    WITH t AS MATERIALIZED (
      SELECT coalesce(drop_id, '') AS drop_id, ${utcDay("created_at")} AS day,
        max(0, entitlement_issued_at - payment_succeeded_at) AS ms
      FROM checkouts
      WHERE creator_id = ${ctx.creatorId} AND created_at >= ${range.from} AND created_at < ${range.to}
        AND payment_succeeded_at IS NOT NULL AND entitlement_issued_at IS NOT NULL ${dropFilter}
    ),
    r AS MATERIALIZED (
      SELECT day, drop_id, ms,
        ROW_NUMBER() OVER w_all AS rn_all, COUNT(*) OVER (w_all ${WHOLE}) AS n_all,
        ROW_NUMBER() OVER w_day AS rn_day, COUNT(*) OVER (w_day ${WHOLE}) AS n_day,
        ROW_NUMBER() OVER w_drop AS rn_drop, COUNT(*) OVER (w_drop ${WHOLE}) AS n_drop
      FROM t
      WINDOW w_all AS (ORDER BY ms), w_day AS (PARTITION BY day ORDER BY ms),
        w_drop AS (PARTITION BY drop_id ORDER BY ms)
    )
    SELECT 'all' AS grp, '' AS k, ${figures("rn_all", "n_all")} FROM r
    UNION ALL SELECT 'day', day, ${figures("rn_day", "n_day")} FROM r GROUP BY day
    UNION ALL SELECT 'drop', drop_id, ${figures("rn_drop", "n_drop")} FROM r WHERE drop_id <> '' GROUP BY drop_id`,
  ]);

  const all = rows.find((r) => r.grp === "all");
  const days = rows.filter((r) => r.grp === "day");
  const byDay = (pick: (r: Row) => MetricValue) => new Map(days.map((r) => [r.k, pick(r)]));
  const values = (r: Row | undefined) => ({
    paid_checkouts: num(r?.n),
    p50_ms: orNull(r?.p50),
    p90_ms: orNull(r?.p90),
    p99_ms: orNull(r?.p99),
    within_target: rate(num(r?.within), num(r?.n)),
  });
  return report("time-to-entitlement", TIME_TO_ENTITLEMENT_DEFINITION, range, null, {
    summary: { ...values(all), target_ms: target },
    series: [
      dailySeries(
        "p50_ms",
        "ms",
        range.days,
        byDay((r) => orNull(r.p50)),
      ),
      dailySeries(
        "p90_ms",
        "ms",
        range.days,
        byDay((r) => orNull(r.p90)),
      ),
      dailySeries(
        "p99_ms",
        "ms",
        range.days,
        byDay((r) => orNull(r.p99)),
      ),
      dailySeries(
        "within_target",
        "rate",
        range.days,
        byDay((r) => rate(num(r.within), r.n)),
      ),
      dailySeries(
        "paid_checkouts",
        "count",
        range.days,
        byDay((r) => r.n),
      ),
    ],
    breakdowns: [
      {
        name: "by_drop",
        by: ["drop_id"],
        rows: rows
          .filter((r) => r.grp === "drop")
          .sort((a, b) => (a.k < b.k ? -1 : 1))
          .map((r) => ({ group: { drop_id: groupValue(r.k) }, values: values(r) })),
      },
    ],
  });
}
