/**
 * The drop funnel: quotes → holds → checkouts → paid → entitled per drop and overall, the hold-expiry
 * rate, and each drop's sell-through time. Quotes, holds and hold expiries are the exposure counters
 * (counters.ts); checkouts, paid and entitled are the creator's own rows. One D1 batch of three grouped
 * queries.
 */
import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { Call } from "../context";
import type { MetricReport, MetricValue } from "../contract/metrics";
import { assertOwnDrop, counterDays, readBatch, utcDay } from "./checkout-sql";
import { dailySeries, MetricQuery, num, rate, report, resolveRange } from "./range";

export const DROP_FUNNEL_DEFINITION =
  "Per drop, over the range: quotes and holds counted as they happen (whole UTC days), checkouts created " +
  "for the drop, of those the ones whose order was paid and the ones that granted an entitlement. " +
  "hold_expiry_rate is holds that lapsed unpaid (expired by the sweep) ÷ holds. sell_through_ms is from " +
  "the drop's start to the payment of the order that sold its last unit (null while units remain).";

export const DropFunnelQuery = MetricQuery.omit({ currency: true }).extend({
  drop_id: z
    .string()
    .regex(/^drp_[0-9a-z_]{1,60}$/)
    .optional()
    .openapi({ description: "Only this drop (another creator's drop is 404)." }),
});
export type DropFunnelInput = z.infer<typeof DropFunnelQuery>;

const STEPS = ["quotes", "holds", "checkouts", "paid", "entitled", "holds_expired"] as const;
type Step = (typeof STEPS)[number];
type Counts = Record<Step, number>;
const KIND_STEP: Record<string, Step> = { quote: "quotes", hold: "holds", hold_expired: "holds_expired" };

export async function dropFunnelReport({ ctx, input }: Call<DropFunnelInput>): Promise<MetricReport> {
  const range = resolveRange(input);
  await assertOwnDrop(ctx, input.drop_id);
  const c = ctx.creatorId;
  const onCounter = input.drop_id === undefined ? sql`drop_id <> ''` : sql`drop_id = ${input.drop_id}`;
  const onCheckout =
    input.drop_id === undefined ? sql`c.drop_id IS NOT NULL` : sql`c.drop_id = ${input.drop_id}`;
  const inRange = sql`c.creator_id = ${c} AND c.created_at >= ${range.from} AND c.created_at < ${range.to}`;
  const [exposures, made, sellThrough] = await readBatch<
    [
      { drop_id: string; day: string; kind: string; n: number },
      { drop_id: string; day: string; checkouts: number; paid: number; entitled: number },
      { drop_id: string; sold_out_at: number | null; starts_at: number },
    ]
  >(ctx.db, [
    sql`
      SELECT drop_id, day, kind, SUM(count) AS n FROM exposure_counts
      WHERE creator_id = ${c} AND ${counterDays("day", range)} AND kind IN ('quote', 'hold', 'hold_expired')
        AND ${onCounter}
      GROUP BY drop_id, day, kind`,
    sql`
      SELECT c.drop_id AS drop_id, ${utcDay("c.created_at")} AS day, COUNT(*) AS checkouts,
        SUM(CASE WHEN o.paid_at IS NOT NULL THEN 1 ELSE 0 END) AS paid,
        SUM(CASE WHEN EXISTS (SELECT 1 FROM entitlements e WHERE e.creator_id = c.creator_id
          AND e.source_type = 'order' AND e.source_id = c.order_id) THEN 1 ELSE 0 END) AS entitled
      FROM checkouts c JOIN orders o ON o.id = c.order_id
      WHERE ${inRange} AND ${onCheckout}
      GROUP BY c.drop_id, day`,
    // Every paid unit of the funnel's drops, in order of payment: the first payment that reaches the
    // stock sold the last unit. Units refunded later stay sold here (the money moved when they sold).
    sql`
      WITH funnel AS (
        SELECT drop_id FROM exposure_counts
        WHERE creator_id = ${c} AND ${counterDays("day", range)} AND kind IN ('quote', 'hold') AND ${onCounter}
        UNION SELECT c.drop_id FROM checkouts c WHERE ${inRange} AND ${onCheckout}
      ),
      sold AS (
        SELECT o.drop_id, o.paid_at,
          SUM(o.quantity) OVER (PARTITION BY o.drop_id ORDER BY o.paid_at, o.id ROWS UNBOUNDED PRECEDING) AS units
        FROM orders o
        WHERE o.creator_id = ${c} AND o.paid_at IS NOT NULL AND o.drop_id IN (SELECT drop_id FROM funnel)
      )
      SELECT d.id AS drop_id, d.starts_at AS starts_at,
        MIN(CASE WHEN s.units >= d.stock THEN s.paid_at END) AS sold_out_at
      FROM drops d LEFT JOIN sold s ON s.drop_id = d.id
      WHERE d.creator_id = ${c} AND d.id IN (SELECT drop_id FROM funnel)
      GROUP BY d.id`,
  ]);

  const empty = (): Counts => ({ quotes: 0, holds: 0, checkouts: 0, paid: 0, entitled: 0, holds_expired: 0 });
  const perDrop = new Map<string, Counts>();
  const perDay = new Map<string, Counts>();
  const total = empty();
  const add = (dropId: string, day: string, step: Step, n: number) => {
    for (const [map, key] of [
      [perDrop, dropId],
      [perDay, day],
    ] as const) {
      const counts = map.get(key) ?? empty();
      counts[step] += n;
      map.set(key, counts);
    }
    total[step] += n;
  };
  for (const e of exposures) {
    const step = KIND_STEP[e.kind];
    if (step !== undefined) add(e.drop_id, e.day, step, num(e.n));
  }
  for (const m of made) {
    add(m.drop_id, m.day, "checkouts", num(m.checkouts));
    add(m.drop_id, m.day, "paid", num(m.paid));
    add(m.drop_id, m.day, "entitled", num(m.entitled));
  }
  const soldOut = new Map(
    sellThrough.map((s) => [s.drop_id, s.sold_out_at === null ? null : s.sold_out_at - s.starts_at]),
  );
  const values = (k: Counts, sell?: MetricValue) => ({
    ...k,
    hold_expiry_rate: rate(k.holds_expired, k.holds),
    paid_per_checkout: rate(k.paid, k.checkouts),
    paid_per_quote: rate(k.paid, k.quotes),
    ...(sell === undefined ? {} : { sell_through_ms: sell }),
  });
  const byDay = (step: Step) => new Map([...perDay].map(([day, k]) => [day, k[step]]));
  return report("drop-funnel", DROP_FUNNEL_DEFINITION, range, null, {
    summary: { ...values(total), drops: perDrop.size },
    series: [
      ...STEPS.map((step) => dailySeries(step, "count", range.days, byDay(step))),
      dailySeries(
        "hold_expiry_rate",
        "rate",
        range.days,
        new Map([...perDay].map(([day, k]) => [day, rate(k.holds_expired, k.holds)])),
      ),
    ],
    breakdowns: [
      {
        name: "by_drop",
        by: ["drop_id"],
        rows: [...perDrop]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([dropId, k]) => ({
            group: { drop_id: dropId },
            values: values(k, soldOut.get(dropId) ?? null),
          })),
      },
    ],
  });
}
