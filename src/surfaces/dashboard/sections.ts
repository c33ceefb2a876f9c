/**
 * The dashboard's sections as HTML, generically from each MetricReport: tiles for its summary, a chart
 * placeholder per daily series (drawn by the page's script from the boot JSON), a table per breakdown;
 * the live drops with today's funnel; the orders table and its filters. Every value is escaped (`html`).
 */

import { formatMoney } from "../../../clients/checkout-page/format";
import type { ChartData, LiveDropBoot } from "../../../clients/dashboard/boot";
import { formatValue, labelOf, unitOf } from "../../../clients/dashboard/format";
import type { MetricReport } from "../../contract/metrics";
import type { MetricResult } from "../../dashboard/metrics";
import { ORDERS_PAGE } from "../../dashboard/query";
import type { DashboardView, LiveDrop } from "../../dashboard/view";
import { orderSources, orderStatuses } from "../../db/schema";
import { html, type Markup } from "../checkout-page/html";

const unitNames = { ms: "time", count: "count", rate: "%", money: "money" } as const;

/** The most rows a breakdown table shows on the page. */
const BREAKDOWN_ROWS = 25;

const tiles = (report: MetricReport): Markup =>
  html`<dl class="tiles">${Object.entries(report.summary).map(
    ([key, value]) =>
      html`<div class="tile" data-key="${key}"><dt>${labelOf(key)}</dt><dd>${formatValue(value, unitOf(key, report), report.currency)}</dd></div>`,
  )}</dl>`;

function breakdownTable(report: MetricReport, breakdown: MetricReport["breakdowns"][number]): Markup {
  const columns = [...new Set(breakdown.rows.flatMap((r) => Object.keys(r.values)))];
  const rows = breakdown.rows.slice(0, BREAKDOWN_ROWS);
  return html`<div class="scroll"><table data-breakdown="${breakdown.name}"><caption class="muted">${labelOf(breakdown.name)}${breakdown.rows.length > rows.length ? ` (first ${rows.length} of ${breakdown.rows.length})` : ""}</caption>
<thead><tr>${breakdown.by.map((k) => html`<th scope="col">${labelOf(k)}</th>`)}${columns.map((k) => html`<th scope="col">${labelOf(k)}</th>`)}</tr></thead>
<tbody>${rows.map(
    (row) =>
      html`<tr>${breakdown.by.map((k) => html`<td>${row.group[k] ?? ""}</td>`)}${columns.map(
        (k) => html`<td>${formatValue(row.values[k] ?? null, unitOf(k, report), report.currency)}</td>`,
      )}</tr>`,
  )}</tbody></table></div>`;
}

/** One KPI's card, and the charts its script draws. */
export function metricCard(result: MetricResult, charts: ChartData[]): Markup {
  const head = html`<h3 id="metric-${result.name}">${result.title}</h3>`;
  if (result.status === "missing") {
    return html`<section class="card unavailable" data-metric="${result.name}" data-status="missing" aria-labelledby="metric-${result.name}">${head}<p class="muted">Not available yet: this figure has no source in this deploy.</p></section>`;
  }
  if (result.status === "error") {
    return html`<section class="card failed" data-metric="${result.name}" data-status="error" aria-labelledby="metric-${result.name}">${head}<p class="error" role="alert">Could not load: ${result.message}</p></section>`;
  }
  const { report } = result;
  const units = [...new Set(report.series.map((s) => s.unit))];
  const figures = units.map((unit) => {
    const series = report.series.filter((s) => s.unit === unit);
    const id = `chart-${result.name}-${unit}`;
    charts.push({
      id,
      unit,
      currency: report.currency,
      days: series[0]?.points.map((p) => p.day) ?? [],
      lines: series.map((s) => ({ label: labelOf(s.name), values: s.points.map((p) => p.value) })),
    });
    const caption = `${series.map((s) => labelOf(s.name)).join(", ")} per day (${unitNames[unit]})`;
    return html`<figure><figcaption id="${id}-caption">${caption}</figcaption><div class="chart" id="${id}" role="img" aria-labelledby="${id}-caption"></div></figure>`;
  });
  return html`<section class="card" data-metric="${result.name}" data-status="ok" aria-labelledby="metric-${result.name}">${head}
<details class="definition"><summary>What it counts</summary><p>${report.definition}</p></details>${tiles(report)}${figures}${report.breakdowns.map((b) => breakdownTable(report, b))}</section>`;
}

const stockFigure = (drop: LiveDrop, key: "available" | "held" | "sold", label: string) =>
  html`<div class="tile"><dt>${label}</dt><dd id="drop-${drop.id}-${key}">${drop.figures?.[key] ?? "—"}</dd></div>`;

export function dropCard(drop: LiveDrop, boots: LiveDropBoot[]): Markup {
  if (drop.figures !== null) boots.push({ id: drop.id, figures: drop.figures });
  const funnel =
    drop.funnel === null
      ? html`<p class="muted">Today's funnel is not available yet.</p>`
      : drop.funnel.steps.length === 0
        ? html`<p class="muted">No quotes for this drop today yet.</p>`
        : html`<ol class="funnel" aria-label="Today's funnel">${drop.funnel.steps.map(
            (s) =>
              html`<li data-step="${s.key}">${labelOf(s.key)} <strong>${formatValue(s.value, s.unit, null)}</strong></li>`,
          )}</ol><dl class="tiles funnel-more">${drop.funnel.others.map(
            (s) =>
              html`<div class="tile" data-key="${s.key}"><dt>${labelOf(s.key)}</dt><dd>${formatValue(s.value, s.unit, null)}</dd></div>`,
          )}</dl>`;
  return html`<section class="card" id="drop-${drop.id}" data-drop="${drop.id}" data-seq="${drop.figures?.seq ?? -1}" aria-labelledby="drop-${drop.id}-title">
<h3 id="drop-${drop.id}-title">${drop.title}</h3><p class="muted">${drop.phase === "live" ? "Live now" : `Starts ${drop.starts_at}`} · <code>${drop.id}</code>${drop.figures === null ? "" : html` · ${drop.figures.stock} units`}</p>
<dl class="stock" aria-live="polite">${stockFigure(drop, "available", "Remaining")}${stockFigure(drop, "held", "Held")}${stockFigure(drop, "sold", "Sold")}</dl>${funnel}</section>`;
}

const options = (values: readonly string[], selected: string | undefined) =>
  html`<option value="">Any</option>${values.map((v) => html`<option value="${v}"${v === selected ? html` selected` : ""}>${v}</option>`)}`;

const hidden = (fields: Record<string, string | undefined>) =>
  html`${Object.entries(fields).map(([k, v]) => (v === undefined ? "" : html`<input type="hidden" name="${k}" value="${v}">`))}`;

export interface OrdersFilters {
  from?: string | undefined;
  to?: string | undefined;
  currency?: string | undefined;
  status?: string | undefined;
  source?: string | undefined;
  drop_id?: string | undefined;
  created_from?: string | undefined;
  created_to?: string | undefined;
}

export function ordersSection(
  view: DashboardView,
  f: OrdersFilters,
  links: { next: string | null; csv: string },
): Markup {
  const rows = view.orders.data;
  return html`<section aria-labelledby="orders-title"><h2 id="orders-title">Orders</h2>
<form class="filters" method="get" action="/dashboard" aria-label="Filter orders">${hidden({ from: f.from, to: f.to, currency: f.currency })}
<label>Status<select name="status" id="filter-status">${options(orderStatuses, f.status)}</select></label>
<label>Source<select name="source" id="filter-source">${options(orderSources, f.source)}</select></label>
<label>Drop<input name="drop_id" id="filter-drop" value="${f.drop_id ?? ""}" placeholder="drp_…" size="14"></label>
<label>Created from<input type="date" name="created_from" id="filter-created-from" value="${f.created_from ?? ""}"></label>
<label>Created to<input type="date" name="created_to" id="filter-created-to" value="${f.created_to ?? ""}"></label>
<button type="submit" id="filter-apply">Filter</button><a class="button" id="orders-csv" href="${links.csv}" download>Export CSV</a></form>
<div class="scroll"><table id="orders"><caption class="muted">${rows.length === 0 ? "No orders match." : `${rows.length} order${rows.length === 1 ? "" : "s"} on this page (up to ${ORDERS_PAGE})`}</caption>
<thead><tr><th scope="col">Order</th><th scope="col">Created (UTC)</th><th scope="col">Status</th><th scope="col">Source</th><th scope="col">Amount</th><th scope="col">Email</th><th scope="col">Drop</th></tr></thead>
<tbody>${rows.map(
    (o) =>
      html`<tr data-order="${o.id}" data-status="${o.status}"><td><code>${o.id}</code></td><td>${o.created_at.slice(0, 16).replace("T", " ")}</td><td>${o.status}</td><td>${o.source}</td><td>${formatMoney(o.amount, o.currency)}</td><td>${o.email}</td><td>${o.drop_id ?? ""}</td></tr>`,
  )}</tbody></table></div>
<p class="pager">${links.next === null ? "" : html`<a id="orders-next" href="${links.next}">Next page</a>`}</p></section>`;
}
