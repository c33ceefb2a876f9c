/**
 * The overlay page's script (served inline by /overlay/{id}): keeps the server-rendered figures live.
 * Transports, in order: the WebSocket stream (resumes with `?after=<seq>`, reconnects with backoff),
 * then SSE (EventSource resumes with Last-Event-ID itself), then polling /stock every 2 s through the
 * typed client. Whatever delivers them, figures apply only when their seq is higher than the one held.
 */
import type { StockMessage } from "../../src/contract/stream";
import { createApiClient } from "../api";
import { countdownText, type QueueFigures, queueText, statusText, tickerText } from "./format";
import { applyFigures, backoffMs, type Figures, isFigures, type OverlayState } from "./state";

interface Boot {
  drop_id: string;
  starts_at: string;
  ends_at: string | null;
  now: number;
  figures: OverlayState;
}

declare global {
  interface Window {
    ccOverlay?: { seqs: number[]; readonly state: OverlayState; transport: string; drop(): void };
  }
}

const POLL_MS = 2000;
/** Keeps an idle socket from being timed out by proxies; the relay answers `pong` without waking. */
const PING_MS = 30_000;
const TICKER_MS = 6000;
/** WebSocket attempts that never opened before falling back to SSE. */
const WS_TRIES = 2;

const byId = (id: string): HTMLElement => document.getElementById(id) as HTMLElement;
const boot = JSON.parse(byId("cc-overlay-boot").textContent ?? "{}") as Boot;
const skew = boot.now - Date.now();
const now = () => Date.now() + skew;
const origin = location.origin;
const streamPath = `/v1/drops/${encodeURIComponent(boot.drop_id)}/stream`;
const viewer =
  typeof crypto.randomUUID === "function"
    ? crypto.randomUUID()
    : `v${Math.random().toString(36).slice(2, 14)}`;

let state: OverlayState = boot.figures;
const seqs: number[] = [];
let transport = "none";
let tickerUnits = 0;
let tickerTimer: ReturnType<typeof setTimeout> | undefined;

function render(): void {
  const left = byId("stock-left");
  left.dataset.available = String(state.available);
  left.dataset.stock = String(state.stock);
  byId("stock-available").textContent = String(state.available);
  byId("stock-total").textContent = String(state.stock);
  const queue = state.queue ?? null;
  byId("status").textContent = statusText(state.available, state.phase, queue);
  renderQueue(queue);
  document.body.dataset.seq = String(state.seq);
  document.body.dataset.phase = state.phase;
  renderCountdown();
}

/** The queue's line, and its figures as data attributes (what tests and scene scripts read). */
function renderQueue(queue: QueueFigures | null): void {
  const line = byId("queue");
  const text = queueText(queue);
  if (line.textContent !== text) line.textContent = text;
  line.hidden = text === "";
  if (queue) {
    line.dataset.state = queue.state;
    line.dataset.waiting = String(queue.waiting);
    line.dataset.admittedThrough = String(queue.admitted_through);
  } else {
    line.dataset.state = "off";
  }
}

function renderCountdown(): void {
  byId("countdown").textContent = countdownText(state.phase, boot, now());
}

function tick(units: number): void {
  const ticker = byId("ticker");
  tickerUnits = ticker.classList.contains("show") ? tickerUnits + units : units;
  ticker.textContent = tickerText(tickerUnits);
  ticker.classList.add("show");
  clearTimeout(tickerTimer);
  tickerTimer = setTimeout(() => ticker.classList.remove("show"), TICKER_MS);
}

function receive(figures: unknown): void {
  if (!isFigures(figures)) return;
  const result = applyFigures(state, figures as Figures);
  if (!result.applied) return;
  state = result.state;
  seqs.push(state.seq);
  render();
  if (result.justBought > 0) tick(result.justBought);
}

const parse = (text: unknown): unknown => {
  try {
    return typeof text === "string" ? JSON.parse(text) : null;
  } catch {
    return null;
  }
};

const query = () => `?viewer=${encodeURIComponent(viewer)}${state.seq >= 0 ? `&after=${state.seq}` : ""}`;

// ---- WebSocket, the first choice.
let socket: WebSocket | null = null;
let failures = 0;
let attempt = 0;

function connectSocket(): void {
  transport = "websocket";
  let opened = false;
  const ws = new WebSocket(`${origin.replace(/^http/, "ws")}${streamPath}${query()}`);
  socket = ws;
  ws.onopen = () => {
    opened = true;
    transport = "websocket";
    failures = 0;
    attempt = 0;
    stopPolling();
  };
  ws.onmessage = (event) => receive(parse(event.data));
  ws.onclose = () => {
    if (socket !== ws) return;
    socket = null;
    if (!opened && ++failures >= WS_TRIES) {
      if (polling === null) connectEvents();
      return;
    }
    setTimeout(connectSocket, backoffMs(attempt++, Math.random()));
  };
}

// ---- Server-sent events, the second.
let events: EventSource | null = null;

function connectEvents(): void {
  if (typeof EventSource !== "function") {
    startPolling();
    return;
  }
  transport = "sse";
  let heard = false;
  const source = new EventSource(`${origin}${streamPath}${query()}`);
  events = source;
  const onEvent = (event: MessageEvent) => {
    heard = true;
    receive(parse(event.data));
  };
  source.onmessage = onEvent;
  for (const type of ["snapshot", "update"] satisfies StockMessage["type"][]) {
    source.addEventListener(type, onEvent);
  }
  source.onerror = () => {
    // After a message, EventSource reconnects itself with Last-Event-ID; before one, it never worked.
    if (heard && source.readyState !== EventSource.CLOSED) return;
    source.close();
    if (events === source) events = null;
    startPolling();
  };
}

// ---- Polling the cached /stock, the last; it tries the socket again now and then.
const api = createApiClient(origin);
let polling: ReturnType<typeof setInterval> | null = null;
let polls = 0;

function startPolling(): void {
  if (polling !== null) return;
  transport = "poll";
  polls = 0;
  polling = setInterval(async () => {
    if (++polls % 15 === 0 && socket === null) {
      failures = WS_TRIES - 1; // one try: back to polling at once if it fails
      connectSocket();
      transport = "poll";
    }
    const { data } = await api.GET("/v1/drops/{id}/stock", { params: { path: { id: boot.drop_id } } });
    if (data !== undefined) receive(data);
  }, POLL_MS);
}

function stopPolling(): void {
  if (polling === null) return;
  clearInterval(polling);
  polling = null;
}

/** For tests (`?debug=1`): drops the live connection, which then resumes from the seq held. */
function dropConnection(): void {
  const ws = socket;
  if (ws !== null) {
    // Reconnect now rather than on `close`, which waits for the server's side of the close handshake.
    socket = null;
    ws.close();
    connectSocket();
  } else if (events !== null) {
    events.close();
    events = null;
    connectEvents();
  }
}

render();
setInterval(renderCountdown, 1000);
setInterval(() => {
  if (socket?.readyState === WebSocket.OPEN) socket.send("ping");
}, PING_MS);
connectSocket();

if (new URLSearchParams(location.search).get("debug") === "1") {
  window.ccOverlay = {
    seqs,
    get state() {
      return state;
    },
    get transport() {
      return transport;
    },
    drop: dropConnection,
  };
}
