/**
 * The page's live parts: the drop's stock, from the WebSocket stream (resuming after the last `seq` it
 * holds, never applying an older one) with polling as the fallback after three failed connections; and
 * the hold's countdown, spoken to screen readers each minute and in the last 30 seconds.
 */
import type { StockMessage } from "../../src/contract/stream";
import type { ApiClient } from "../api/index";
import type { StockFigures } from "./format";

const STOCK_POLL_MS = 2_000;

interface Follow {
  api: ApiClient;
  dropId: string;
  /** The viewer key the stream shards by: the page's buyer id. */
  viewer: string;
  stream: boolean;
  show: (figures: StockFigures) => void;
}

export function followStock(follow: Follow): void {
  let lastSeq: number | null = null;
  const connect = (failures: number): void => {
    if (!follow.stream || !("WebSocket" in window) || failures >= 3) {
      void poll(follow);
      return;
    }
    const query = new URLSearchParams({ viewer: follow.viewer });
    if (lastSeq !== null) query.set("after", String(lastSeq));
    const origin = location.origin.replace(/^http/, "ws");
    const ws = new WebSocket(`${origin}/v1/drops/${follow.dropId}/stream?${query}`);
    let opened = false;
    ws.addEventListener("open", () => {
      opened = true;
    });
    ws.addEventListener("message", (e) => {
      let m: Partial<StockMessage>;
      try {
        m = JSON.parse(String(e.data)) as Partial<StockMessage>;
      } catch {
        return; // not a stock message (a pong)
      }
      if (typeof m.available !== "number" || typeof m.stock !== "number" || typeof m.phase !== "string")
        return;
      if (typeof m.seq === "number") {
        if (lastSeq !== null && m.seq <= lastSeq) return;
        lastSeq = m.seq;
      }
      // The admission queue's broadcast rides the same message (absent before the queue existed).
      const queue = (m as { queue?: StockFigures["queue"] }).queue ?? null;
      follow.show({ available: m.available, stock: m.stock, phase: m.phase, queue });
    });
    ws.addEventListener("close", () => {
      const next = opened ? 0 : failures + 1;
      setTimeout(() => connect(next), 1000 * (next + 1));
    });
  };
  connect(0);
}

async function poll(follow: Follow): Promise<void> {
  if (!document.hidden) {
    const { data } = await follow.api
      .GET("/v1/drops/{id}/stock", { params: { path: { id: follow.dropId } } })
      .catch(() => ({ data: undefined }));
    if (data) follow.show(data);
  }
  setTimeout(() => poll(follow), STOCK_POLL_MS);
}

/** One countdown per page: starting it again (a new hold) replaces the old one. */
export function holdCountdown() {
  let timer: ReturnType<typeof setInterval> | undefined;
  return {
    start(end: number, visible: HTMLElement, live: HTMLElement): void {
      if (timer !== undefined) clearInterval(timer);
      let lastSpoken = -1;
      const tick = () => {
        const left = Math.max(0, Math.round((end - Date.now()) / 1000));
        const mm = Math.floor(left / 60);
        const ss = String(left % 60).padStart(2, "0");
        visible.textContent = left > 0 ? `Reserved for you: ${mm}:${ss}` : "Your reservation has expired.";
        // The screen reader hears it each minute and in the last 30 seconds, not every second.
        const speak = left === 0 || left === 30 || (left % 60 === 0 && left !== lastSpoken);
        if (speak && left !== lastSpoken) {
          lastSpoken = left;
          live.textContent =
            left > 0 ? `${mm} minutes ${ss} seconds left to pay` : "Your reservation has expired.";
        }
        if (left === 0 && timer !== undefined) clearInterval(timer);
      };
      tick();
      timer = setInterval(tick, 1000);
    },
    stop(): void {
      if (timer !== undefined) clearInterval(timer);
    },
  };
}
