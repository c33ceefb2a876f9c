/**
 * The admission queue from Node, as viewers and a creator's back end would: a drop that starts soon with
 * the queue on, a viewer's ticket (join, read), and a hold made with the ticket's admission token. Any
 * answer other than the expected status throws with its body, so a failing step names itself.
 */
import { demo } from "../../../src/db/seed";
import type { Api } from "./api";

export interface Ticket {
  id: string;
  status: "waiting" | "admitted" | "used" | "expired" | "sold_out";
  position: number | null;
  admission_token: string | null;
}

async function call<T>(
  api: Api,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
) {
  const res = await fetch(`${api.origin}${path}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

async function must<T>(
  api: Api,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: unknown,
  ok: number[],
): Promise<T> {
  const res = await call<T>(api, method, path, headers, body);
  if (!ok.includes(res.status)) {
    throw new Error(
      `${method} ${path}: expected ${ok.join(" or ")}, got ${res.status}: ${JSON.stringify(res.body)}`,
    );
  }
  return res.body;
}

/** A fresh drop of the demo poster, one unit per buyer, starting `startsInMs` from now with the queue on. */
export const createQueuedDrop = (
  api: Api,
  options: { stock: number; admitPerSecond: number; startsInMs: number },
) =>
  must<{ id: string; starts_at: string }>(
    api,
    "POST",
    "/v1/drops",
    { authorization: `Bearer ${api.apiKey}`, "idempotency-key": crypto.randomUUID() },
    {
      offer_id: demo.dropOfferId,
      title: "Queued browser test drop",
      stock: options.stock,
      per_buyer_limit: 1,
      starts_at: new Date(Date.now() + options.startsInMs).toISOString(),
      queue: { enabled: true, admit_per_second: options.admitPerSecond },
    },
    [201],
  );

export const joinQueue = (api: Api, dropId: string, buyer: string) =>
  must<Ticket>(api, "POST", `/v1/drops/${dropId}/queue`, { "buyer-id": buyer }, undefined, [201, 200]);

export const readTicket = (api: Api, dropId: string, ticket: string, buyer: string) =>
  must<Ticket>(api, "GET", `/v1/drops/${dropId}/queue/${ticket}`, { "buyer-id": buyer }, undefined, [200]);

/** A hold by `buyer`, carrying its admission token when given; answers the status and body. */
export const holdWith = (api: Api, dropId: string, buyer: string, admissionToken: string | null) =>
  call<{ id?: string; type?: string }>(
    api,
    "POST",
    `/v1/drops/${dropId}/holds`,
    {
      "buyer-id": buyer,
      "idempotency-key": crypto.randomUUID(),
      ...(admissionToken === null ? {} : { "admission-token": admissionToken }),
    },
    { quantity: 1 },
  );

/** Milliseconds until `iso`, never negative. */
export const msUntil = (iso: string): number => Math.max(0, Date.parse(iso) - Date.now());
