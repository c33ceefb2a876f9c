/**
 * The overlay's state machine, DOM-free: figures arrive from the WebSocket, SSE or the poll, all behind
 * the same `seq` contract (src/contract/stream.ts), and a figure older than the one held never wins.
 */
import type { StockMessage } from "../../src/contract/stream";
import { type QueueFigures, queueOf } from "./format";

/** What any of the three transports delivers: a stream message, or the poll's figures with their seq. */
export type Figures = Pick<StockMessage, "seq" | "stock" | "available" | "held" | "sold" | "phase"> &
  Partial<Pick<StockMessage, "prev_seq" | "sales">> & { queue?: unknown };

export interface OverlayState {
  /** The seq of the figures shown; -1 before any. */
  seq: number;
  stock: number;
  available: number;
  held: number;
  sold: number;
  phase: StockMessage["phase"];
  /** The admission queue, while the drop has one on; figures without it (before the queue) read null. */
  queue?: QueueFigures | null;
}

export interface Applied {
  state: OverlayState;
  applied: boolean;
  /** Units sold between the previous figures and these, for the ticker; 0 when none or unknown. */
  justBought: number;
}

export const isFigures = (value: unknown): value is Figures => {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(v.seq) &&
    ["stock", "available", "held", "sold"].every((k) => typeof v[k] === "number") &&
    typeof v.phase === "string"
  );
};

/**
 * Applies figures unless they are not newer than those held (a lower or equal seq: a replay, a resume
 * overlap, or a poll served from a cache behind the stream). The ticker counts the message's own
 * `sales` when it follows the held seq directly; after a gap it counts the rise in `sold` instead,
 * which a missed message cannot hide.
 */
export function applyFigures(state: OverlayState, figures: Figures): Applied {
  if (figures.seq <= state.seq) return { state, applied: false, justBought: 0 };
  const follows = figures.prev_seq !== undefined && figures.prev_seq === state.seq;
  const justBought =
    state.seq < 0
      ? 0
      : follows && figures.sales !== undefined
        ? figures.sales
        : Math.max(0, figures.sold - state.sold);
  return {
    state: {
      seq: figures.seq,
      stock: figures.stock,
      available: figures.available,
      held: figures.held,
      sold: figures.sold,
      phase: figures.phase,
      // The queue travels with the counters under the same seq (a queue change bumps it), so it is
      // never applied on its own: an older poll cannot move the line back either.
      queue: queueOf(figures.queue),
    },
    applied: true,
    justBought,
  };
}

/** Reconnect delays: 0.5 s doubling to 15 s, with up to 30 % jitter so viewers do not return in step. */
export const backoffMs = (attempt: number, random: number): number =>
  Math.round(Math.min(15_000, 500 * 2 ** attempt) * (1 + 0.3 * random));
