/**
 * The dashboard page's script (served inline by GET /dashboard): draws every KPI's daily series with
 * uPlot from the page's JSON, and keeps each open drop's stock live from the drop's stock stream,
 * applying figures through the overlay's own state machine (clients/overlay/state.ts), so a figure
 * older than the one shown never wins. The WebSocket reconnects with the overlay's backoff and resumes
 * with `?after=<seq>`; after two sockets that never opened it polls the public /stock every 2 s.
 */
import uPlot from "uplot";
import { applyFigures, backoffMs, type Figures, isFigures, type OverlayState } from "../overlay/state";
import type { DashboardBoot, LiveDropBoot } from "./boot";
import { formatValue } from "./format";

const boot = JSON.parse(document.getElementById("cc-dashboard-boot")?.textContent ?? "{}") as DashboardBoot;
const POLL_MS = 2000;
const WS_TRIES = 2;

declare global {
  interface Window {
    ccDashboard?: { charts: number; transports: Record<string, string> };
  }
}

// ---- Charts: one per metric and unit, a line per series, uPlot's legend naming them.
const COLOURS = ["#3b3bd6", "#d6463b", "#1e8a4c", "#b07a00", "#8a3bd6", "#00829b", "#c2397a", "#5c5c5c"];
const seconds = (day: string) => Date.parse(`${day}T00:00:00Z`) / 1000;
let drawn = 0;
for (const chart of boot.charts ?? []) {
  const target = document.getElementById(chart.id);
  if (target === null) continue;
  const format = (v: number | null) => formatValue(v, chart.unit, chart.currency);
  const grid = { stroke: "rgba(128,128,128,.2)" };
  new uPlot(
    {
      width: Math.max(240, target.clientWidth || 320),
      height: 180,
      legend: { show: chart.lines.length > 1, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        { stroke: "currentColor", grid },
        { stroke: "currentColor", grid, size: 64, values: (_u, ticks) => ticks.map((t) => format(t)) },
      ],
      series: [
        {},
        ...chart.lines.map((line, i) => ({
          label: line.label,
          stroke: COLOURS[i % COLOURS.length],
          width: 2,
          value: (_u: uPlot, v: number | null) => format(v),
        })),
      ],
    },
    [chart.days.map(seconds), ...chart.lines.map((l) => l.values)],
    target,
  );
  target.dataset.drawn = "1";
  drawn++;
}

// ---- Live stock.
const transports: Record<string, string> = {};
const text = (id: string, value: number) => {
  const el = document.getElementById(id);
  if (el !== null) el.textContent = String(value);
};

function live(drop: LiveDropBoot): void {
  let state: OverlayState = { ...drop.figures, phase: drop.figures.phase as OverlayState["phase"] };
  const base = `/v1/drops/${encodeURIComponent(drop.id)}`;
  const viewer = `dash-${Math.random().toString(36).slice(2, 12)}`;
  const receive = (figures: unknown) => {
    if (!isFigures(figures)) return;
    const result = applyFigures(state, figures as Figures);
    if (!result.applied) return;
    state = result.state;
    text(`drop-${drop.id}-available`, state.available);
    text(`drop-${drop.id}-held`, state.held);
    text(`drop-${drop.id}-sold`, state.sold);
    const card = document.getElementById(`drop-${drop.id}`);
    if (card !== null) card.dataset.seq = String(state.seq);
  };
  const parse = (data: unknown): unknown => {
    try {
      return typeof data === "string" ? JSON.parse(data) : null;
    } catch {
      return null;
    }
  };
  let failures = 0;
  let attempt = 0;
  const poll = () => {
    transports[drop.id] = "poll";
    setInterval(async () => {
      const res = await fetch(`${base}/stock`).catch(() => null);
      if (res?.ok) receive(await res.json());
    }, POLL_MS);
  };
  const connect = () => {
    transports[drop.id] = "connecting";
    let opened = false;
    const after = state.seq >= 0 ? `&after=${state.seq}` : "";
    const ws = new WebSocket(
      `${location.origin.replace(/^http/, "ws")}${base}/stream?viewer=${viewer}${after}`,
    );
    ws.onopen = () => {
      transports[drop.id] = "websocket";
      opened = true;
      failures = 0;
      attempt = 0;
    };
    ws.onmessage = (event) => receive(parse(event.data));
    ws.onclose = () => {
      if (!opened && ++failures >= WS_TRIES) return poll();
      setTimeout(connect, backoffMs(attempt++, Math.random()));
    };
  };
  connect();
}

for (const drop of boot.drops ?? []) live(drop);
window.ccDashboard = { charts: drawn, transports };
