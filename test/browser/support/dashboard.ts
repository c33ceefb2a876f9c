/**
 * What the dashboard's browser test does from Node, as buyers elsewhere would: buy through the public
 * API with the sandbox's 4242 card (a quote, then a checkout confirmed at once), a one-off drop unit
 * or a membership tier (a subscription). Any unexpected status throws with the body.
 */
import type { Api } from "./api";

async function post<T>(api: Api, path: string, body: unknown, buyer: string): Promise<T> {
  const res = await fetch(`${api.origin}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "buyer-id": buyer,
      "idempotency-key": crypto.randomUUID(),
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

export interface Bought {
  order_id: string;
  status: string;
}

/** Buys one `offerId` (of `dropId` when given) with 4242 4242 4242 4242 as a fresh buyer. */
export async function buy(api: Api, offerId: string, dropId?: string): Promise<Bought> {
  const buyer = `dash-${crypto.randomUUID()}`;
  const quote = await post<{ token: string }>(
    api,
    "/v1/quotes",
    { offer_id: offerId, ...(dropId === undefined ? {} : { drop_id: dropId }) },
    buyer,
  );
  return post<Bought>(
    api,
    "/v1/checkouts",
    { quote: quote.token, email: `${buyer}@example.test`, payment_method: "4242 4242 4242 4242" },
    buyer,
  );
}
