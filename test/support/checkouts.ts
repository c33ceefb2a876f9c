import { api, type Json } from "./api";
import { createDrop } from "./fixtures";
import { buyer, quote } from "./quotes";
import type { Tenant } from "./tenants";

/** A live drop of `stock` units and a fresh quote for one unit of it, for `buyerId`. */
export async function quotedDrop(tenant: Tenant, buyerId: string, terms: Record<string, unknown> = {}) {
  const drop = await createDrop(tenant, { stock: 5, ...terms });
  const quoted = await quote({ offer_id: drop.offer_id, drop_id: drop.id }, buyer(buyerId));
  if (quoted.status !== 201) throw new Error(`quote refused: ${JSON.stringify(quoted.body)}`);
  return { drop, quote: quoted.body as Json };
}

export const checkout = (
  body: Record<string, unknown>,
  headers: { buyerId?: string; key?: string | null } = {},
) =>
  api("POST", "/v1/checkouts", {
    body,
    headers: {
      ...(headers.buyerId === undefined ? {} : { "buyer-id": headers.buyerId }),
      ...(headers.key === null ? {} : { "idempotency-key": headers.key ?? `chk-${crypto.randomUUID()}` }),
    },
  });

export const readCheckout = (id: string, secret: string) =>
  api("GET", `/v1/checkouts/${id}`, { headers: { "checkout-secret": secret } });

export const confirm = (id: string, secret: string, body: Record<string, unknown> = {}) =>
  api("POST", `/v1/checkouts/${id}/confirm`, { body, headers: { "checkout-secret": secret } });
