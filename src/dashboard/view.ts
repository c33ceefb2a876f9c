/**
 * Everything the dashboard page shows for one creator, read in parallel: every registered KPI for the
 * range, a page of orders with the table's filters, and the creator's open drops (live first, then the
 * next to start) with today's funnel and their stock now. Reads only; the session picked the creator.
 */
import { type Unit, unitOf } from "../../clients/dashboard/format";
import type { TenantContext } from "../context";
import type { MetricReport, MetricValue } from "../contract/metrics";
import type { Drop } from "../drops/schemas";
import { listDrops } from "../drops/verbs";
import { readStock } from "../holds/verbs";
import { listOrders } from "../orders/reads";
import { type DashboardMetric, dashboardMetrics, fetchMetrics, type MetricResult } from "./metrics";
import type { DashboardRequest } from "./query";

const DAY_MS = 86_400_000;
/** Live drops shown with their funnel and live stock, at most. */
export const LIVE_DROPS = 3;

export interface DropFigures {
  seq: number;
  stock: number;
  available: number;
  held: number;
  sold: number;
  phase: string;
}

export interface LiveDrop {
  id: string;
  title: string;
  phase: string;
  starts_at: string;
  ends_at: string | null;
  figures: DropFigures | null;
  /** Today's funnel for this drop; null when the metric is not available. */
  funnel: DropFunnel | null;
}

export interface FunnelFigure {
  key: string;
  value: MetricValue;
  unit: Unit;
}

export interface DropFunnel {
  /** The funnel's steps present in the report, in funnel order; empty when the drop had none today. */
  steps: FunnelFigure[];
  /** The row's other figures (rates, sell-through time, expired holds), in the report's order. */
  others: FunnelFigure[];
}

/** The funnel's order, as the issue states it. */
export const FUNNEL_STEPS = ["quotes", "holds", "checkouts", "paid", "entitled"] as const;

export interface DashboardView {
  metrics: MetricResult[];
  orders: Awaited<ReturnType<typeof listOrders>>;
  drops: LiveDrop[];
}

type Log = (what: string, error: unknown) => void;

/** The creator's open drops worth watching now: the live ones, then the next to start. */
export function openDrops(drops: Drop[]): Drop[] {
  const open = drops.filter((d) => d.state === "open");
  const live = open.filter((d) => d.phase === "live");
  const next = open
    .filter((d) => d.phase === "upcoming")
    .sort((a, b) => a.starts_at.localeCompare(b.starts_at));
  return [...live, ...next].slice(0, LIVE_DROPS);
}

/** A drop's row of the drop-funnel report (the breakdown grouped by drop), split into steps and the rest. */
export function funnelOf(report: MetricReport, dropId: string): DropFunnel {
  for (const breakdown of report.breakdowns) {
    const key = breakdown.by.find((k) => k === "drop_id" || k === "drop");
    if (key === undefined) continue;
    const values = breakdown.rows.find((r) => r.group[key] === dropId)?.values;
    if (values === undefined) return { steps: [], others: [] };
    const figure = (k: string): FunnelFigure => ({
      key: k,
      value: values[k] ?? null,
      unit: unitOf(k, report),
    });
    const isStep = (k: string) => (FUNNEL_STEPS as readonly string[]).includes(k);
    return {
      steps: FUNNEL_STEPS.filter((k) => k in values).map(figure),
      others: Object.keys(values)
        .filter((k) => !isStep(k))
        .map(figure),
    };
  }
  return { steps: [], others: [] };
}

async function todaysFunnel(ctx: TenantContext, registry: readonly DashboardMetric[], log: Log) {
  const fetch = registry.find((m) => m.name === "drop-funnel")?.fetch ?? null;
  if (fetch === null) return null;
  const today = Math.floor(ctx.now / DAY_MS) * DAY_MS;
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  try {
    return await fetch({ ctx, input: { from: iso(today), to: iso(today + DAY_MS) } });
  } catch (error) {
    log("drop-funnel (today)", error);
    return null;
  }
}

async function figuresOf(ctx: TenantContext, dropId: string, log: Log): Promise<DropFigures | null> {
  try {
    const { stock } = await readStock({ ctx, input: { dropId } });
    const { seq, available, held, sold, phase } = stock;
    return { seq, stock: stock.stock, available, held, sold, phase };
  } catch (error) {
    log(`stock of ${dropId}`, error);
    return null;
  }
}

async function liveDrops(ctx: TenantContext, registry: readonly DashboardMetric[], log: Log) {
  const [listed, funnel] = await Promise.all([
    listDrops({ ctx, input: { limit: 100 } }),
    todaysFunnel(ctx, registry, log),
  ]);
  const drops = openDrops(listed.data);
  const figures = await Promise.all(drops.map((d) => figuresOf(ctx, d.id, log)));
  return drops.map(
    (d, i): LiveDrop => ({
      id: d.id,
      title: d.title,
      phase: d.phase,
      starts_at: d.starts_at,
      ends_at: d.ends_at,
      figures: figures[i] ?? null,
      funnel: funnel === null ? null : funnelOf(funnel, d.id),
    }),
  );
}

export async function dashboardView(
  ctx: TenantContext,
  request: DashboardRequest,
  log: Log,
  registry: readonly DashboardMetric[] = dashboardMetrics,
): Promise<DashboardView> {
  const [metrics, orders, drops] = await Promise.all([
    fetchMetrics(ctx, request.metrics, registry, log),
    listOrders({ ctx, input: request.orders }),
    liveDrops(ctx, registry, log),
  ]);
  return { metrics, orders, drops };
}
