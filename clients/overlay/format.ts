/**
 * What the overlay says, as pure functions of its state and the time: shared by the page's script and
 * the worker's server rendering (so the first paint already reads right), and unit-tested. DOM-free.
 */
import type { QueueBroadcast, StockMessage } from "../../src/contract/stream";

export type Phase = StockMessage["phase"];

export interface DropTimes {
  /** ISO 8601. */
  starts_at: string;
  ends_at: string | null;
}

/** The phase the clock implies, as the drop's object decides it; a closed drop stays closed. */
export function phaseNow(phase: Phase, times: DropTimes, now: number): Phase {
  if (phase === "closed") return "closed";
  if (now < Date.parse(times.starts_at)) return "upcoming";
  if (times.ends_at !== null && now >= Date.parse(times.ends_at)) return "ended";
  return "live";
}

const two = (n: number) => String(n).padStart(2, "0");

/** 12:34, 1:02:03, or 2d 03:04:05; never negative. */
export function duration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (days > 0) return `${days}d ${two(hours)}:${two(minutes)}:${two(seconds)}`;
  if (hours > 0) return `${hours}:${two(minutes)}:${two(seconds)}`;
  return `${two(minutes)}:${two(seconds)}`;
}

/** The countdown line for the phase: to the start while upcoming, to the end while live. */
export function countdownText(phase: Phase, times: DropTimes, now: number): string {
  const current = phaseNow(phase, times, now);
  if (current === "upcoming") return `Starts in ${duration(Date.parse(times.starts_at) - now)}`;
  if (current === "live") {
    return times.ends_at === null ? "Live now" : `Ends in ${duration(Date.parse(times.ends_at) - now)}`;
  }
  return current === "ended" ? "Ended" : "Closed";
}

export const tickerText = (units: number): string => `${units} just bought`;

export const stockStatus = (available: number, phase: Phase): string =>
  available === 0 && (phase === "live" || phase === "upcoming") ? "Sold out" : "";

/**
 * The admission queue's figures as the stream and the stock read carry them (`queue`, the contract's
 * QueueBroadcast): null while the drop's queue is off. A ticket at position p is admitted once
 * p <= admitted_through, so one broadcast tells every viewer where the line stands.
 */
export type QueueFigures = QueueBroadcast;

const QUEUE_STATES: readonly QueueFigures["state"][] = ["gathering", "admitting", "sold_out", "paused"];

/** The queue figures in a message, or null: an absent, off or malformed `queue` shows no queue line. */
export function queueOf(value: unknown): QueueFigures | null {
  if (typeof value !== "object" || value === null) return null;
  const q = value as Record<string, unknown>;
  const counts = ["waiting", "admitted_through", "admit_per_second"].every(
    (k) => typeof q[k] === "number" && Number.isFinite(q[k]),
  );
  return counts && QUEUE_STATES.includes(q.state as QueueFigures["state"]) ? (value as QueueFigures) : null;
}

const count = (n: number): string => Math.max(0, Math.floor(n)).toLocaleString("en");

export const QUEUE_SOLD_OUT = "Sold out — everyone still waiting has been told";

/**
 * The queue's line on the overlay. Sold out is said by the status line instead (statusText), so the
 * stream does not read "Sold out" twice; before the start nobody has a place yet (places are shuffled at
 * the start), so the line says how many are in and that the order is drawn then.
 */
export function queueText(queue: QueueFigures | null): string {
  if (queue === null || queue.state === "sold_out") return "";
  const waiting = `Queue: ${count(queue.waiting)} waiting`;
  if (queue.state === "gathering") return `${waiting} · places drawn fairly at the start`;
  if (queue.state === "paused") return `${waiting} · paused while the last units are reserved`;
  const through = queue.admitted_through > 0 ? ` · admitted through #${count(queue.admitted_through)}` : "";
  return `${waiting} · admitting ${count(queue.admit_per_second)}/s${through}`;
}

/** The status line: the queue's sold out (which also means everyone waiting was told) wins. */
export const statusText = (available: number, phase: Phase, queue: QueueFigures | null): string =>
  queue?.state === "sold_out" ? QUEUE_SOLD_OUT : stockStatus(available, phase);
