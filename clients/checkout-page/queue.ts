/**
 * The admission queue on the checkout page. While the drop's queue is on (the stock broadcast carries
 * `queue`), the reserve step waits behind "Join the queue": the buyer gets a ticket, watches their place
 * move with the broadcast (no polling needed to count down: a ticket at position p is admitted once
 * p <= admitted_through), and the ticket is read only when the broadcast says its turn may have come
 * (and every 10 s as a fallback). Admitted, the reserve step returns and the checkout holds with the
 * ticket's admission token, which the hold route requires while the queue is on.
 */
import type { ApiClient } from "../api/index";
import { type QueueBroadcast, type QueueTicket, queueStatusText } from "./format";

interface GateOptions {
  api: ApiClient;
  dropId: string;
  buyerId: string;
  /** The queue takes the reserve step away (true) or gives it back (false). */
  showReserve(on: boolean): void;
}

/** A ticket is read at least this often while waiting, in case the broadcast is not reaching the page. */
const FALLBACK_MS = 10_000;

const $ = (id: string) => document.getElementById(id);

export function queueGate(options: GateOptions) {
  const { api } = options;
  const header = { "buyer-id": options.buyerId };
  const kept = `cc-queue-${options.dropId}`;
  let queue: QueueBroadcast | null = null;
  let ticket: QueueTicket | null = null;
  /** The queue holds the reserve step. */
  let active = false;
  /** The buyer reserved: the queue has nothing more to say on this page. */
  let done = false;
  let reading = false;
  let lastRead = 0;

  const render = () => {
    const status = $("queue-status");
    const text = queueStatusText(ticket, queue, Date.now());
    // Only a change is written: the region is polite, and speaks each time its text changes.
    if (status && status.textContent !== text) status.textContent = text;
    const join = $("join-queue") as HTMLButtonElement | null;
    // An admission that lapsed unused may join again, at the back of the queue.
    if (join) join.hidden = (ticket !== null && ticket.status !== "expired") || queue?.state === "sold_out";
    document.body.dataset.queue = ticket?.status ?? (active ? "joinable" : "off");
  };

  const accept = (next: QueueTicket) => {
    ticket = next;
    try {
      sessionStorage.setItem(kept, next.id);
    } catch {
      // storage blocked: a reload joins again, and the route answers the same ticket (one per buyer)
    }
    options.showReserve(next.status === "admitted" && next.admission_token !== null);
    render();
  };

  /** Joins (no ticket id) or reads the ticket named; one call at a time. */
  async function send(ticketId: string | null): Promise<void> {
    if (reading) return;
    reading = true;
    lastRead = Date.now();
    try {
      const id = options.dropId;
      const { data, response } =
        ticketId === null
          ? await api.POST("/v1/drops/{id}/queue", { params: { path: { id }, header } })
          : await api.GET("/v1/drops/{id}/queue/{ticketId}", { params: { path: { id, ticketId }, header } });
      if (data) accept(data);
      else if (response.status === 409 || response.status === 404) {
        // The queue was turned off (or the kept ticket is not this buyer's): reserve as usual.
        ticket = null;
        setActive(false);
      }
    } catch {
      // offline for a moment: the next broadcast or the fallback reads again
    } finally {
      reading = false;
    }
  }

  const join = () => send(null);
  const read = () => (ticket === null ? undefined : send(ticket.id));

  function setActive(on: boolean) {
    active = on;
    const panel = $("queue");
    if (panel) panel.hidden = !on;
    options.showReserve(!on);
    render();
  }

  /**
   * Whether the broadcast says this ticket's turn, its place or its end may have come: its place is
   * drawn at the start, its turn when the broadcast admits through it, and sold out ends every ticket.
   */
  const due = (q: QueueBroadcast) =>
    ticket?.status === "waiting" &&
    (q.state === "sold_out" ||
      (ticket.position === null ? q.state !== "gathering" : ticket.position <= q.admitted_through));

  $("join-queue")?.addEventListener("click", () => void join());
  setInterval(() => {
    if (!done && ticket?.status === "waiting" && Date.now() - lastRead >= FALLBACK_MS) void read();
    // The admitted buyer's remaining time to reserve counts down.
    else if (!done && ticket?.status === "admitted") render();
  }, 1000);

  return {
    /** Every stock figure the page receives: the queue's broadcast, or null while it is off. */
    update(next: QueueBroadcast | null | undefined): void {
      queue = next ?? null;
      if (done) return;
      if (queue !== null && !active) {
        setActive(true);
        let id: string | null = null;
        try {
          id = sessionStorage.getItem(kept);
        } catch {}
        // A reload keeps its place: the ticket is the buyer's, one per drop.
        if (id !== null) void send(id);
      } else if (queue === null && active && ticket?.status !== "admitted") {
        setActive(false);
      } else if (queue !== null && due(queue)) {
        void read();
      }
      render();
    },
    /**
     * The admission token to hold with: while admitted, and after the first hold too (a declined card
     * starts a new checkout, whose hold needs it again while it lasts).
     */
    token(): string | null {
      return done || ticket?.status === "admitted" ? (ticket?.admission_token ?? null) : null;
    },
    /** The checkout holds: the queue is done with this page. */
    reserved(): void {
      done = true;
      const panel = $("queue");
      if (panel) panel.hidden = true;
    },
    /** The hold refused the admission (it expired, or the queue came on meanwhile): back to the queue. */
    refused(): void {
      done = false;
      if (!active) setActive(true);
      else {
        const panel = $("queue");
        if (panel) panel.hidden = false;
      }
      void (ticket === null ? undefined : read());
    },
  };
}

export type QueueGate = ReturnType<typeof queueGate>;
