/**
 * What the overlay says, as pure functions of its state and the time: shared by the page's script and
 * the worker's server rendering (so the first paint already reads right), and unit-tested. DOM-free.
 */
import type { StockMessage } from "../../src/contract/stream";

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
