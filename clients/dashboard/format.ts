/**
 * How the dashboard writes a KPI figure, from the MetricReport's `unit`: pure and DOM-free, shared by
 * the worker's server rendering (tiles, tables) and the page's script (chart axes), and unit-tested.
 */
import type { MetricReport, MetricValue } from "../../src/contract/metrics";
import { formatMoney } from "../checkout-page/format";

export type Unit = MetricReport["series"][number]["unit"];

const counts = new Intl.NumberFormat("en", { maximumFractionDigits: 1 });

/** 850 ms, 4.2 s, 3.5 min, 2.1 h, 1.5 d. */
export function formatMs(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(ms)} ms`;
  if (abs < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (abs < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  if (abs < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}

/** A figure as its unit writes it; null (nothing to divide by, no data) is an em dash. */
export function formatValue(value: MetricValue, unit: Unit, currency: string | null): string {
  if (value === null || !Number.isFinite(value)) return "—";
  switch (unit) {
    case "ms":
      return formatMs(value);
    case "rate":
      return `${(value * 100).toFixed(1)}%`;
    case "money":
      // `|| 0`: a negated zero (no churned revenue, or -0.4 rounded) reads $0.00, never -$0.00.
      return currency === null ? counts.format(value) : formatMoney(Math.round(value) || 0, currency);
    default:
      return counts.format(value);
  }
}

const RATE_WORDS = new Set(["rate", "share", "ratio", "pct", "percent", "conversion", "retention", "within"]);
const MONEY_WORDS = new Set([
  "amount",
  "revenue",
  "mrr",
  "arr",
  "ltv",
  "arpu",
  "aov",
  "gmv",
  "net",
  "gross",
  "refunded",
  "value",
  "price",
]);

/**
 * A summary figure's unit. A series of the same name says it; otherwise the words of its name do, in
 * this order: `…_ms` is ms; a rate word (`failure_rate`, `within_target`, `revenue_churn_rate`) is a
 * rate; a money word (`churned_mrr`, `aov_with`, `revenue_per_exposure`) is money when the report has a
 * currency; `x_per_y` of two counts is a rate; anything else counts.
 */
export function unitOf(key: string, report: Pick<MetricReport, "series" | "currency">): Unit {
  const series = report.series.find((s) => s.name === key);
  if (series !== undefined) return series.unit;
  const words = key.toLowerCase().split(/[_-]+/);
  if (words.at(-1) === "ms" || words.includes("duration") || words.includes("latency")) return "ms";
  if (words.some((w) => RATE_WORDS.has(w))) return "rate";
  if (report.currency !== null && words.some((w) => MONEY_WORDS.has(w))) return "money";
  if (words.includes("per")) return "rate";
  return "count";
}

/** `time_to_entitlement_p50_ms` → "Time to entitlement p50 ms"; a grouping key alike. */
export function labelOf(key: string): string {
  const words = key.replace(/_ms$/, "").replace(/[_-]+/g, " ").trim();
  return words.length === 0 ? key : words[0]?.toUpperCase() + words.slice(1);
}
