/** Money and price lines as the checkout page shows them; pure, shared by the worker's render and the script. */
import type { QueueBroadcast } from "../../src/contract/stream";

export interface Line {
  type: string;
  amount: number;
  ref?: string | undefined;
}

const formatters = new Map<string, Intl.NumberFormat>();

function formatterFor(currency: string): Intl.NumberFormat {
  let f = formatters.get(currency);
  if (f === undefined) {
    f = new Intl.NumberFormat("en", { style: "currency", currency });
    formatters.set(currency, f);
  }
  return f;
}

/** Minor units as the currency writes them: 2000 USD is $20.00, 2000 JPY is ¥2,000. */
export function formatMoney(amount: number, currency: string): string {
  const f = formatterFor(currency);
  const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  return f.format(amount / 10 ** digits);
}

const labels: Record<string, string> = {
  base: "Price",
  localization: "Local price",
  bundle_discount: "Bundle discount",
  experiment: "Special price",
  member_discount: "Member discount",
  coupon: "Coupon",
  floor: "Minimum price",
};

export function lineLabel(line: Line): string {
  const label = labels[line.type] ?? line.type;
  return line.type === "coupon" && line.ref ? `${label} ${line.ref}` : label;
}

export interface StockFigures {
  available: number;
  stock: number;
  phase: string;
  /** The admission queue's broadcast while the drop's queue is on; null or absent while it is off. */
  queue?: QueueBroadcast | null;
}

/** The drop's stock as one sentence: the page writes it only when it changes (a polite live region). */
export function stockText(s: StockFigures): string {
  if (s.phase === "ended" || s.phase === "closed") return "This drop has ended.";
  if (s.available <= 0) return "Sold out";
  const left = `${s.available} of ${s.stock} left`;
  return s.phase === "upcoming" ? `Not on sale yet · ${left}` : left;
}

/** The admission queue's broadcast (the stream's and the stock read's `queue`); see clients/overlay. */
export type { QueueBroadcast };

/** The buyer's queue ticket, as `POST /v1/drops/{id}/queue` and its GET answer it. */
export interface QueueTicket {
  id: string;
  status: "waiting" | "admitted" | "used" | "expired" | "sold_out";
  position: number | null;
  ahead: number | null;
  estimated_wait_seconds: number | null;
  admission_token: string | null;
  admission_expires_at: string | null;
}

export interface Place {
  position: number;
  ahead: number;
  /** Null while admission is paused (nobody can say how long the last reservations take). */
  waitSeconds: number | null;
}

/**
 * Where the buyer stands, from the newest broadcast when there is one (it moves every second while
 * admitting, so no ticket read is needed to count down) and the ticket's own figures otherwise. A
 * ticket at position p is admitted once p <= admitted_through, so p - admitted_through - 1 are ahead.
 */
export function queuePlace(ticket: QueueTicket, queue: QueueBroadcast | null): Place | null {
  if (ticket.status !== "waiting" || ticket.position === null) return null;
  const p = ticket.position;
  if (queue === null || queue.state === "gathering") {
    return { position: p, ahead: ticket.ahead ?? p - 1, waitSeconds: ticket.estimated_wait_seconds };
  }
  const left = Math.max(0, p - queue.admitted_through);
  return {
    position: p,
    ahead: Math.max(0, left - 1),
    waitSeconds:
      queue.state === "paused" || queue.admit_per_second <= 0
        ? null
        : Math.ceil(left / queue.admit_per_second),
  };
}

/** "about 40 s", "about 3 min". */
export function waitText(seconds: number): string {
  if (seconds < 60) return `about ${Math.max(1, Math.round(seconds))} s`;
  return `about ${Math.round(seconds / 60)} min`;
}

/** What the queue panel says for the ticket (or, before joining, the broadcast). */
export function queueStatusText(
  ticket: QueueTicket | null,
  queue: QueueBroadcast | null,
  now: number,
): string {
  if (ticket === null) {
    if (queue?.state === "sold_out") return "Sold out: every unit is taken.";
    const waiting = queue === null ? "" : ` ${queue.waiting.toLocaleString("en")} waiting.`;
    return queue?.state === "gathering"
      ? `Join before the start: places are drawn at random when the drop opens, so joining early or late before then makes no difference.${waiting}`
      : `Join the queue for your turn to buy.${waiting}`;
  }
  if (ticket.status === "admitted") {
    const ends = ticket.admission_expires_at === null ? Number.NaN : Date.parse(ticket.admission_expires_at);
    if (Number.isNaN(ends)) return "It's your turn: reserve now.";
    const left = Math.max(0, Math.ceil((ends - now) / 1000));
    return `It's your turn: reserve within ${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}.`;
  }
  if (ticket.status === "used") return "You reserved with your turn.";
  if (ticket.status === "expired")
    return "Your turn passed before you reserved. Join again to queue at the back.";
  if (ticket.status === "sold_out") return "Sold out: everything was taken before your turn. Sorry!";
  const place = queuePlace(ticket, queue);
  if (place === null)
    return "You're in the queue. Your place is drawn when the drop starts; keep this page open.";
  const ahead = place.ahead === 1 ? "1 person" : `${place.ahead.toLocaleString("en")} people`;
  const wait =
    place.waitSeconds === null ? "paused while the last units are reserved" : waitText(place.waitSeconds);
  return `You're number ${place.position.toLocaleString("en")} · ${ahead} ahead of you · ${wait}`;
}
