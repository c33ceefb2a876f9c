/**
 * What every KPI route shares: the query (a UTC range, a currency), the days it covers, the currency a
 * report is in, and the report it answers (src/contract/metrics.ts). The queries live beside each metric.
 */
import { z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import type { TenantContext } from "../context";
import type { MetricReport, MetricValue } from "../contract/metrics";
import { creators } from "../db/schema";
import { invalid } from "../errors";
import { toIso } from "../lib/time";

export const DAY_MS = 86_400_000;
/** The longest range one request may ask for: a report's series has one point per day. */
export const MAX_RANGE_DAYS = 400;

const Bound = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })])
  .openapi({ description: "ISO 8601 date (midnight UTC) or instant." });

export const MetricQuery = z.strictObject({
  from: Bound.openapi({ description: "Start of the range, inclusive (ISO 8601 date or instant, UTC)." }),
  to: Bound.openapi({ description: "End of the range, exclusive (ISO 8601 date or instant, UTC)." }),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .optional()
    .openapi({ description: "ISO 4217 code money figures are in; default: the creator's default currency." }),
});
export type MetricInput = z.infer<typeof MetricQuery>;

export type Range = { from: number; to: number; days: string[] };

const parseBound = (v: string): number => Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);

/** The range in epoch ms and its UTC days; 422 when it is empty, reversed or too long. */
export function resolveRange(input: Pick<MetricInput, "from" | "to">): Range {
  const from = parseBound(input.from);
  const to = parseBound(input.to);
  if (!(to > from)) throw invalid([{ in: "query", path: "to", message: "must be after `from`" }]);
  if (to - from > MAX_RANGE_DAYS * DAY_MS)
    throw invalid([{ in: "query", path: "to", message: `a range is at most ${MAX_RANGE_DAYS} days` }]);
  return { from, to, days: daysOf(from, to) };
}

export const dayOf = (ms: number): string => toIso(ms).slice(0, 10);

/** Every UTC day the range touches, in order. */
export function daysOf(from: number, to: number): string[] {
  const days: string[] = [];
  for (let t = Math.floor(from / DAY_MS) * DAY_MS; t < to; t += DAY_MS) days.push(dayOf(t));
  return days;
}

/** A daily series with every day present: days without a row get `empty` (0 for counts, null for rates). */
export function dailySeries(
  name: string,
  unit: MetricReport["series"][number]["unit"],
  days: string[],
  byDay: ReadonlyMap<string, MetricValue>,
  empty: MetricValue = unit === "count" || unit === "money" ? 0 : null,
): MetricReport["series"][number] {
  return { name, unit, points: days.map((day) => ({ day, value: byDay.get(day) ?? empty })) };
}

/** A number from SQL (D1 answers null for an empty SUM), or a figure that may have no value. */
export const num = (v: unknown): number => (typeof v === "number" ? v : 0);
export const orNull = (v: unknown): MetricValue => (typeof v === "number" ? v : null);

/** The currency money figures are in: the query's, or the creator's default. */
export async function reportCurrency(ctx: Pick<TenantContext, "db" | "creatorId">, asked?: string) {
  if (asked !== undefined) return asked;
  const [row] = await ctx.db
    .select({ currency: creators.defaultCurrency })
    .from(creators)
    .where(eq(creators.id, ctx.creatorId))
    .limit(1);
  return row?.currency ?? "USD";
}

/** A rate, or null when there is nothing to divide by. */
export const rate = (part: number, whole: number): MetricValue => (whole > 0 ? part / whole : null);

/** The nearest-rank percentile of ascending values (null for none). */
export function percentile(sortedAsc: readonly number[], p: number): MetricValue {
  if (sortedAsc.length === 0) return null;
  const rank = Math.ceil((p / 100) * sortedAsc.length);
  return sortedAsc[Math.min(sortedAsc.length, Math.max(1, rank)) - 1] ?? null;
}

export function report(
  metric: string,
  definition: string,
  range: Range,
  currency: string | null,
  parts: Pick<MetricReport, "summary"> & Partial<Pick<MetricReport, "series" | "breakdowns">>,
): MetricReport {
  return {
    object: "metric",
    metric,
    definition,
    from: toIso(range.from),
    to: toIso(range.to),
    currency,
    summary: parts.summary,
    series: parts.series ?? [],
    breakdowns: parts.breakdowns ?? [],
  };
}

/** The OpenAPI schema of a MetricReport, for each metric route's 200. */
const Value = z.number().nullable();
export const MetricReportSchema = z
  .object({
    object: z.literal("metric"),
    metric: z.string(),
    definition: z.string(),
    from: z.string(),
    to: z.string(),
    currency: z.string().nullable(),
    summary: z.record(z.string(), Value),
    series: z.array(
      z.object({
        name: z.string(),
        unit: z.enum(["ms", "count", "rate", "money"]),
        points: z.array(z.object({ day: z.string(), value: Value })),
      }),
    ),
    breakdowns: z.array(
      z.object({
        name: z.string(),
        by: z.array(z.string()),
        rows: z.array(
          z.object({ group: z.record(z.string(), z.string()), values: z.record(z.string(), Value) }),
        ),
      }),
    ),
  })
  .openapi("MetricReport");
