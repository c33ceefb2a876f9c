/**
 * `GET /v1/metrics/mrr`: monthly recurring revenue per day and how it moved, classified per member
 * (revenue-sql.ts). Two statements over mrr_movements(creator_id, at): the totals, and the movements
 * per day and kind; the daily MRR is the opening MRR plus each day's net movement.
 */
import type { Call } from "../context";
import type { MetricReport } from "../contract/metrics";
import { mrrMovementKinds } from "../db/schema";
import { dailySeries, type MetricInput, report, reportCurrency, resolveRange } from "./range";
import { dayOfIndex, memberMrr, otherCurrencySubscriptions } from "./revenue-sql";

export const MRR_DEFINITION =
  "Monthly recurring revenue: the monthly-normalised amount of every active and past_due subscription " +
  "(weekly × 52 ÷ 12, fortnightly × 26 ÷ 12, yearly ÷ 12; trials excluded), at the end of each UTC day. " +
  "Movements are classified per member: new (a member's first MRR), expansion, contraction, churn (the " +
  "member's MRR goes to 0) and reactivation (MRR returns after it was 0); amounts are signed.";

export async function mrrReport({ ctx, input }: Call<MetricInput>): Promise<MetricReport> {
  const range = resolveRange(input);
  const currency = await reportCurrency(ctx, input.currency);
  const [totals, excluded] = await Promise.all([
    memberMrr(ctx.db, ctx.creatorId, range, currency),
    otherCurrencySubscriptions(ctx.db, ctx.creatorId, range, currency),
  ]);
  const rows = totals.byDay;
  const byKind = new Map(mrrMovementKinds.map((k) => [k, new Map<string, number>()]));
  const sums = new Map(mrrMovementKinds.map((k) => [k, { amount: 0, members: 0 }]));
  const net = new Map<string, number>();
  for (const r of rows) {
    const day = dayOfIndex(r.day);
    byKind.get(r.kind)?.set(day, r.amount);
    const sum = sums.get(r.kind);
    if (sum !== undefined) {
      sum.amount += r.amount;
      sum.members += r.members;
    }
    net.set(day, (net.get(day) ?? 0) + r.amount);
  }
  let running = totals.openingMrr;
  const mrr = new Map<string, number>();
  for (const day of range.days) {
    running += net.get(day) ?? 0;
    mrr.set(day, running);
  }
  const amountOf = (k: (typeof mrrMovementKinds)[number]) => sums.get(k)?.amount ?? 0;
  return report("mrr", MRR_DEFINITION, range, currency, {
    summary: {
      opening_mrr: totals.openingMrr,
      closing_mrr: totals.closingMrr,
      net_new_mrr: totals.closingMrr - totals.openingMrr,
      new_mrr: amountOf("new"),
      expansion_mrr: amountOf("expansion"),
      contraction_mrr: amountOf("contraction"),
      churned_mrr: amountOf("churn"),
      reactivation_mrr: amountOf("reactivation"),
      opening_subscribers: totals.openingSubscribers,
      closing_subscribers: totals.closingSubscribers,
      excluded_other_currency: excluded,
    },
    series: [
      dailySeries("mrr", "money", range.days, mrr),
      ...mrrMovementKinds.map((k) => dailySeries(k, "money", range.days, byKind.get(k) ?? new Map())),
    ],
    breakdowns: [
      {
        name: "movements",
        by: ["kind"],
        rows: mrrMovementKinds.map((k) => ({
          group: { kind: k },
          values: { amount: amountOf(k), movements: sums.get(k)?.members ?? 0 },
        })),
      },
    ],
  });
}
