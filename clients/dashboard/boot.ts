/** What the dashboard page hands its script: the daily series to chart and the drops to keep live. */
import type { MetricReport } from "../../src/contract/metrics";

/** One chart: a metric's daily series that share a unit, drawn as lines on one axis. */
export interface ChartData {
  /** The element the chart is drawn into. */
  id: string;
  unit: MetricReport["series"][number]["unit"];
  currency: string | null;
  days: string[];
  lines: Array<{ label: string; values: (number | null)[] }>;
}

export interface LiveDropBoot {
  id: string;
  figures: { seq: number; stock: number; available: number; held: number; sold: number; phase: string };
}

export interface DashboardBoot {
  charts: ChartData[];
  drops: LiveDropBoot[];
}
