/**
 * `GET /v1/metrics/ltv`: what the members who joined in the range paid in their first 90 days, net of
 * refunds, per join cohort × acquisition source × product family × fulfilment path. One statement:
 * members(creator_id, joined_at, id), then each member's orders (orders(member_id)) and subscription
 * invoices (subscriptions(creator_id, member_id), subscription_invoices(subscription_id, period_start)).
 */
import { type SQL, sql } from "drizzle-orm";
import type { Call } from "../context";
import type { MetricReport, MetricValue } from "../contract/metrics";
import { DAY_MS, type MetricInput, num, type Range, report, reportCurrency, resolveRange } from "./range";
import { joined } from "./revenue-members";

const WINDOW_MS = 90 * DAY_MS;

export const LTV_DEFINITION =
  "90-day LTV: net revenue (paid orders and renewal invoices, refunded ones counting 0) a member paid " +
  "within 90 days of joining, ÷ the members of their join cohort × acquisition source who joined in " +
  "the range; split by product family (offer kind; renewals are membership) and fulfilment path " +
  "(digital when not shipped). Groups with members younger than 90 days are incomplete.";

type Group = { cohort: string; source: string };
const keyOf = (g: Group) => `${g.cohort}\u0000${g.source}`;

/** Members per cohort × source, and those younger than the window. */
export const ltvGroupsQuery = (c: string, range: Range, now: number): SQL => sql`WITH ${joined(c, range)}
      SELECT cohort, source, COUNT(*) AS members,
        COUNT(CASE WHEN joined_at + ${WINDOW_MS} > ${now} THEN 1 END) AS incomplete
      FROM j GROUP BY cohort, source`;

/** Net revenue in each member's first 90 days per cohort × source × family × path. */
export const ltvRevenueQuery = (
  c: string,
  range: Range,
  currency: string,
): SQL => sql`WITH ${joined(c, range)},
      rev AS (
        SELECT j.cohort, j.source, f.kind AS family, COALESCE(o.fulfilment_path, 'digital') AS path,
          j.id AS member, CASE WHEN o.status = 'paid' THEN o.amount_total ELSE 0 END AS net
        FROM j JOIN orders o ON o.member_id = j.id JOIN offers f ON f.id = o.offer_id
        WHERE +o.creator_id = ${c} AND o.currency = ${currency} AND o.paid_at IS NOT NULL
          AND o.paid_at < j.joined_at + ${WINDOW_MS}
        UNION ALL
        SELECT j.cohort, j.source, 'membership', 'digital', j.id,
          CASE WHEN i.status = 'paid' THEN i.amount ELSE 0 END
        FROM j JOIN subscriptions s ON s.creator_id = ${c} AND s.member_id = j.id
          JOIN subscription_invoices i ON i.subscription_id = s.id
        WHERE i.currency = ${currency} AND i.paid_at IS NOT NULL AND i.created_at < j.joined_at + ${WINDOW_MS}
          AND NOT (s.order_id IS NOT NULL AND i.period_index = 0 AND i.created_at = s.created_at)
      )
      SELECT cohort, source, family, path, SUM(net) AS revenue, COUNT(DISTINCT member) AS buyers
      FROM rev GROUP BY cohort, source, family, path`;

type RevenueRow = Group & { family: string; path: string; revenue: number; buyers: number };

export async function ltvReport({ ctx, input }: Call<MetricInput>): Promise<MetricReport> {
  const range = resolveRange(input);
  const currency = await reportCurrency(ctx, input.currency);
  const [groups, revenue] = await Promise.all([
    ctx.db.all<Group & { members: number; incomplete: number }>(
      ltvGroupsQuery(ctx.creatorId, range, ctx.now),
    ),
    ctx.db.all<RevenueRow>(ltvRevenueQuery(ctx.creatorId, range, currency)),
  ]);
  const members = new Map(groups.map((g) => [keyOf(g), g]));
  const perGroup = new Map<string, number>();
  for (const r of revenue) perGroup.set(keyOf(r), (perGroup.get(keyOf(r)) ?? 0) + num(r.revenue));
  const ltv = (amount: number, n: number): MetricValue => (n > 0 ? Math.round(amount / n) : null);
  const totalMembers = groups.reduce((n, g) => n + g.members, 0);
  const totalRevenue = [...perGroup.values()].reduce((n, v) => n + v, 0);
  const sorted = <T extends Group>(rows: T[], more: (r: T) => string = () => "") =>
    [...rows].sort((a, b) => (keyOf(a) + more(a) < keyOf(b) + more(b) ? -1 : 1));
  return report("ltv", LTV_DEFINITION, range, currency, {
    summary: {
      members: totalMembers,
      incomplete_members: groups.reduce((n, g) => n + g.incomplete, 0),
      revenue_90d: totalRevenue,
      ltv_90d: ltv(totalRevenue, totalMembers),
    },
    breakdowns: [
      {
        name: "ltv_by_cohort_source",
        by: ["cohort", "source"],
        rows: sorted(groups).map((g) => ({
          group: { cohort: g.cohort, source: g.source },
          values: {
            members: g.members,
            incomplete_members: g.incomplete,
            revenue_90d: perGroup.get(keyOf(g)) ?? 0,
            ltv_90d: ltv(perGroup.get(keyOf(g)) ?? 0, g.members),
          },
        })),
      },
      {
        name: "ltv_by_cohort_source_family_path",
        by: ["cohort", "source", "family", "path"],
        rows: sorted(revenue, (r) => `${r.family}/${r.path}`).map((r) => {
          const g = members.get(keyOf(r));
          return {
            group: { cohort: r.cohort, source: r.source, family: r.family, path: r.path },
            values: {
              members: g?.members ?? 0,
              incomplete_members: g?.incomplete ?? 0,
              buyers: r.buyers,
              revenue_90d: num(r.revenue),
              ltv_90d: ltv(num(r.revenue), g?.members ?? 0),
            },
          };
        }),
      },
    ],
  });
}
