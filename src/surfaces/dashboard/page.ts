/**
 * The creator dashboard's HTML (GET /dashboard): rendered on the server from the dashboard's view, so
 * every figure reads before any script runs; the inlined script (clients/dashboard, with uPlot) then
 * draws the daily series and keeps the drops' stock live. One nonce admits the page's one script and
 * one style sheet (its own CSS and uPlot's); nothing is loaded from anywhere else.
 */
import type { ChartData, DashboardBoot, LiveDropBoot } from "../../../clients/dashboard/boot";
import type { DashboardView } from "../../dashboard/view";
import { html, type Markup, scriptJson, trusted } from "../checkout-page/html";
import script, { css as uplotCss } from "../generated/dashboard";
import { dropCard, metricCard, type OrdersFilters, ordersSection } from "./sections";
import { dashboardCss } from "./styles";

function shell(nonce: string, title: string, body: Markup): string {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><link rel="icon" href="data:,"><title>${title}</title><style nonce="${nonce}">${trusted(uplotCss)}${trusted(dashboardCss)}</style></head><body>${body}</body></html>`
    .value;
}

/** The sign-in form: paste the secret API key. `error` says why the last attempt was refused. */
export function signInPage(nonce: string, error: string | null = null): string {
  return shell(
    nonce,
    "Sign in · Creator dashboard",
    html`<main class="signin" aria-labelledby="title"><h1 id="title">Creator dashboard</h1>
<p class="muted">Sign in with your secret API key (<code>cc_sk_…</code>). It is checked once and never stored in the browser: you get a 30-minute session that ends when the key is revoked.</p>
<form method="post" action="/dashboard/session">
<label for="key">Secret API key<input id="key" name="key" type="password" autocomplete="off" spellcheck="false" required autofocus${error === null ? "" : html` aria-invalid="true" aria-describedby="signin-error"`}></label>
${error === null ? "" : html`<p id="signin-error" class="error" role="alert">${error}</p>`}
<button type="submit" id="sign-in">Sign in</button></form></main>`,
  );
}

export interface DashboardPage {
  nonce: string;
  creatorId: string;
  view: DashboardView;
  range: { first: string; last: string };
  filters: OrdersFilters;
  links: { next: string | null; csv: string };
  expiresAt: string;
}

export function dashboardPage(page: DashboardPage): string {
  const { view, filters: f } = page;
  const charts: ChartData[] = [];
  const drops: LiveDropBoot[] = [];
  const metrics = view.metrics.map((m) => metricCard(m, charts));
  const dropCards = view.drops.map((d) => dropCard(d, drops));
  const boot: DashboardBoot = { charts, drops };
  const keep = {
    status: f.status,
    source: f.source,
    drop_id: f.drop_id,
    created_from: f.created_from,
    created_to: f.created_to,
  };
  return shell(
    page.nonce,
    "Creator dashboard",
    html`<header><h1>Dashboard <span class="muted">· <code id="creator">${page.creatorId}</code></span></h1>
<form class="filters" method="get" action="/dashboard" aria-label="KPI range">${Object.entries(keep).map(([k, v]) => (v === undefined ? "" : html`<input type="hidden" name="${k}" value="${v}">`))}
<label>From<input type="date" name="from" id="range-from" value="${page.range.first}" required></label>
<label>To<input type="date" name="to" id="range-to" value="${page.range.last}" required></label>
<label>Currency<input name="currency" id="range-currency" value="${f.currency ?? ""}" placeholder="default" size="7" pattern="[A-Z]{3}"></label>
<button type="submit" id="range-apply">Show</button></form>
<form method="post" action="/dashboard/logout"><button type="submit" class="secondary" id="sign-out">Sign out</button></form></header>
<main>
<p class="muted">Figures for ${page.range.first} to ${page.range.last} (UTC days). Session until <time datetime="${page.expiresAt}">${page.expiresAt.slice(11, 16)} UTC</time>.</p>
<section aria-labelledby="drops-title"><h2 id="drops-title">Open drops</h2>
${dropCards.length === 0 ? html`<p class="muted">No live or upcoming drop.</p>` : html`<div class="grid">${dropCards}</div>`}</section>
<section aria-labelledby="kpis-title"><h2 id="kpis-title">KPIs</h2><div class="grid">${metrics}</div></section>
${ordersSection(view, f, page.links)}
</main>
<script type="application/json" id="cc-dashboard-boot">${scriptJson(boot)}</script>
<script nonce="${page.nonce}">${trusted(script)}</script>`,
  );
}

/**
 * The policy: the nonce's script and style only, calls to this worker (the stock stream's socket and
 * /stock), forms posting only here, never framed, no base or plugin.
 */
export function dashboardCsp(nonce: string, origin: string): string {
  const host = new URL(origin).host;
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    `connect-src 'self' wss://${host} ws://${host}`,
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}
