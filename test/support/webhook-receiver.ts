/**
 * Fake webhook receivers for tests: each has its own https URL, records what it received, and answers
 * as scripted (fail N times then succeed, 410, 429 with Retry-After, hang until the timeout). They are
 * reached through the worker's injectable webhook transport, so no test touches the network.
 */
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { database } from "../../src/db/client";
import { attemptDelivery, type DeliveryDeps } from "../../src/webhooks/deliver";
import { dispatch } from "../../src/webhooks/dispatch";
import { useWebhookTransport, webhookFetch } from "../../src/webhooks/transport";
import { api, type Json } from "./api";
import type { Tenant } from "./tenants";

export type Reply =
  | { status: number; headers?: Record<string, string>; body?: string }
  /** Never answers: the attempt ends when the worker's timeout aborts it. */
  | { hang: true }
  /** The connection fails. */
  | { network: true };

export interface Received {
  url: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Answers these first, in order, then `otherwise` (200 unless set). */
  script(...replies: Reply[]): void;
  otherwise(reply: Reply): void;
  /** The events it received, parsed, in arrival order. */
  events(): Json[];
}

const byHost = new Map<string, Receiver & { next(): Reply }>();

async function route(url: string, init: RequestInit): Promise<Response> {
  const target = byHost.get(new URL(url).host);
  if (target === undefined) throw new TypeError(`fetch failed: no receiver at ${url}`);
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((v, k) => {
    headers[k] = v;
  });
  target.received.push({ url, headers, body: String(init.body), at: Date.now() });
  const reply = target.next();
  if ("hang" in reply) {
    return new Promise((_, reject) => {
      const abort = () => reject(init.signal?.reason ?? new DOMException("aborted", "TimeoutError"));
      if (init.signal?.aborted) abort();
      init.signal?.addEventListener("abort", abort);
    });
  }
  if ("network" in reply) throw new TypeError("fetch failed: connection reset");
  return new Response(reply.body ?? "", { status: reply.status, headers: reply.headers });
}

let installed = false;

/** A new receiver at its own URL; the first call routes the webhook transport to the receivers. */
export function createReceiver(): Receiver {
  if (!installed) {
    useWebhookTransport(route);
    installed = true;
  }
  const host = `r${crypto.randomUUID().slice(0, 8)}.receiver.test`;
  const queue: Reply[] = [];
  let fallback: Reply = { status: 200 };
  const receiver = {
    url: `https://${host}/hooks`,
    received: [] as Received[],
    script: (...replies: Reply[]) => {
      queue.push(...replies);
    },
    otherwise: (reply: Reply) => {
      fallback = reply;
    },
    next: () => queue.shift() ?? fallback,
    events: () => receiver.received.map((r) => JSON.parse(r.body)),
  };
  byHost.set(host, receiver);
  return receiver;
}

export const db = database(env.DB);

/** Delivery dependencies on a pinned clock, through the same transport the worker uses. */
export const depsAt = (at: number, random = 0.5): DeliveryDeps => ({
  db,
  fetch: webhookFetch,
  now: () => at,
  random: () => random,
  enqueue: async () => {},
});

/** Reads the audit log into events and deliveries, as the queue's dispatch message does. */
export const dispatchNow = (now = Date.now()) => dispatch(db, now, async () => {});

/** Every pending delivery of the endpoint due at `at`, attempted once (in parallel, as the queue would). */
export async function deliverDue(endpointId: string, at: number, random = 0.5) {
  const due = await db.all<{ id: string }>(sql`
    SELECT id FROM webhook_deliveries WHERE endpoint_id = ${endpointId} AND status = 'pending'
      AND next_attempt_at IS NOT NULL AND next_attempt_at <= ${at}`);
  return Promise.all(due.map((d) => attemptDelivery(depsAt(at, random), d.id)));
}

/** Dispatches, then delivers everything due to the endpoint now. */
export async function flush(endpointId: string, at = Date.now()) {
  await dispatchNow(at);
  return deliverDue(endpointId, at);
}

export async function createEndpoint(tenant: Tenant, body: Record<string, unknown>): Promise<Json> {
  const res = await api("POST", "/v1/webhook-endpoints", { key: tenant.key, body });
  if (res.status !== 201) throw new Error(`endpoint fixture refused: ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function deliveryRows(endpointId: string) {
  return db.all<{
    id: string;
    status: string;
    attempts: number;
    next_attempt_at: number | null;
    last_status_code: number | null;
    last_error: string | null;
    seq: number;
    type: string;
    subject_id: string;
  }>(sql`
    SELECT d.id, d.status, d.attempts, d.next_attempt_at, d.last_status_code, d.last_error,
           e.seq, e.type, e.subject_id
    FROM webhook_deliveries AS d JOIN webhook_events AS e ON e.id = d.event_id
    WHERE d.endpoint_id = ${endpointId} ORDER BY e.rowid`);
}
