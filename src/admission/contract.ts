/** What the drop object's queue RPC methods take and answer: plain, serializable shapes. */
import type { TicketStatus } from "./queue";

export type { QueueSettings, QueueSummary } from "./queue";

/** A ticket as the object reports it to the worker, which renders it (and signs the admission token). */
export interface TicketRecord {
  id: string;
  buyer: string;
  /** The order the ticket reached the object in: for tests of the shuffle, never shown to viewers. */
  arrival: number;
  status: TicketStatus;
  position: number | null;
  ahead: number | null;
  estimatedWaitSeconds: number | null;
  joinedAt: number;
  /** While admitted: when the admission (and its token) lapses unless the buyer holds. */
  admissionExpiresAt: number | null;
}

export type JoinResult =
  | { ok: true; ticket: TicketRecord; created: boolean }
  | { ok: false; reason: "queue_not_enabled" }
  /** The object is taking more joins than it can commit in time (503, Retry-After). */
  | { ok: false; reason: "overloaded" }
  | { ok: false; reason: "unconfigured" };
