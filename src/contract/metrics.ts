/**
 * The shape every `GET /v1/metrics/{name}` answers, shared by the worker and the dashboard's charts so
 * that one renderer draws every KPI: headline figures, daily series, and breakdown tables.
 *
 * Money figures are integer minor units of `currency` (a metric over money answers one currency: the
 * `currency` query parameter, or the creator's default). Rates are fractions in [0, 1], never percent.
 * A figure with no denominator (a rate over nothing) is null, never 0.
 */
export type MetricValue = number | null;

export type MetricReport = {
  object: "metric";
  /** The metric's name, as in its route: `time-to-entitlement`, `funnel`, `payments`, `mrr`, … */
  metric: string;
  /** What it counts, in one or two sentences (the docs/metrics.md definition, verbatim). */
  definition: string;
  /** The range asked for, ISO 8601 UTC: `from` inclusive, `to` exclusive. */
  from: string;
  to: string;
  currency: string | null;
  /** Headline figures for the whole range, keyed by a stable snake_case name. */
  summary: Record<string, MetricValue>;
  /** Daily series (UTC days in the range, every day present, in order). */
  series: Array<{
    name: string;
    /** `ms`, `count`, `rate` or `money`: how the dashboard formats it. */
    unit: "ms" | "count" | "rate" | "money";
    points: Array<{ day: string; value: MetricValue }>;
  }>;
  /** Grouped figures, e.g. by drop, by source, by decline code, by cohort × source × family × path. */
  breakdowns: Array<{
    name: string;
    /** The grouping keys, in order, e.g. `["cohort", "source"]`. */
    by: string[];
    rows: Array<{ group: Record<string, string>; values: Record<string, MetricValue> }>;
  }>;
};
