/**
 * Every KPI the dashboard shows, in the order it shows them: the metric's route name, its title, and
 * how to get its report (the metric's own domain verb, called as its route calls it). One line per
 * metric: a metric whose verb is not wired yet (`fetch: null`) renders a "not available" tile; wiring one is
 * its verb's import and `fetch: <verb>` on its line.
 */
import type { Call, TenantContext } from "../context";
import type { MetricReport } from "../contract/metrics";
import { AppError } from "../errors";
import { conversionReport } from "../metrics/checkout-conversion";
import { timeToEntitlementReport } from "../metrics/checkout-entitlement";
import { dropFunnelReport } from "../metrics/checkout-funnel";
import { paymentsReport } from "../metrics/checkout-payments";
import { upsellsReport } from "../metrics/checkout-upsells";
import type { MetricInput } from "../metrics/range";
import { ltvReport } from "../metrics/revenue-ltv";
import { enrolmentsReport, retentionReport } from "../metrics/revenue-members";
import { mrrReport } from "../metrics/revenue-mrr";
import { subscriptionsReport } from "../metrics/revenue-subscriptions";

/** A metric's domain verb, as its `GET /v1/metrics/<name>` route calls it. */
export type FetchMetric = (call: Call<MetricInput>) => Promise<MetricReport>;

export interface DashboardMetric {
  /** As in `GET /v1/metrics/<name>`. */
  name: string;
  title: string;
  fetch: FetchMetric | null;
}

export const dashboardMetrics: readonly DashboardMetric[] = [
  // Checkout side.
  { name: "time-to-entitlement", title: "Time to entitlement", fetch: timeToEntitlementReport },
  { name: "drop-funnel", title: "Drop funnel", fetch: dropFunnelReport },
  { name: "conversion", title: "Conversion", fetch: conversionReport },
  { name: "payments", title: "Payments", fetch: paymentsReport },
  { name: "upsells", title: "Upsells", fetch: upsellsReport },
  // Revenue side.
  { name: "mrr", title: "Monthly recurring revenue", fetch: mrrReport },
  { name: "subscriptions", title: "Subscriptions", fetch: subscriptionsReport },
  { name: "retention", title: "Retention", fetch: retentionReport },
  { name: "ltv", title: "Lifetime value", fetch: ltvReport },
  { name: "enrolments", title: "Enrolments", fetch: enrolmentsReport },
];

export type MetricResult =
  | { name: string; title: string; status: "ok"; report: MetricReport }
  | { name: string; title: string; status: "missing" }
  | { name: string; title: string; status: "error"; message: string };

/**
 * Every registered metric for the range, in parallel. One that fails becomes an error result (and a
 * log line under the request id); the page still renders the rest.
 */
export function fetchMetrics(
  ctx: TenantContext,
  input: MetricInput,
  registry: readonly DashboardMetric[] = dashboardMetrics,
  log: (metric: string, error: unknown) => void = () => {},
): Promise<MetricResult[]> {
  return Promise.all(
    registry.map(async ({ name, title, fetch }): Promise<MetricResult> => {
      if (fetch === null) return { name, title, status: "missing" };
      try {
        return { name, title, status: "ok", report: await fetch({ ctx, input }) };
      } catch (error) {
        log(name, error);
        const message =
          error instanceof AppError ? error.detail : "This figure could not be computed just now.";
        return { name, title, status: "error", message };
      }
    }),
  );
}
