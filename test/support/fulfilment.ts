import { api, type Json } from "./api";
import { checkout } from "./checkouts";
import { createOffer } from "./fixtures";
import { buyer, quote } from "./quotes";
import type { Tenant } from "./tenants";

export const londonAddress = {
  name: "Ada Lovelace",
  line1: "10 Downing Street",
  city: "London",
  postal_code: "sw1a 2aa",
  country: "GB",
};
export const texasAddress = {
  name: "Sam Houston",
  line1: "1100 Congress Ave",
  city: "Austin",
  region: "tx",
  postal_code: "78701",
  country: "US",
};

const ok = (res: { status: number; body: Json }, status: number, what: string) => {
  if (res.status !== status) throw new Error(`${what} refused: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};

/** A printed poster (requires shipping) on a live drop. */
export async function physicalDrop(tenant: Tenant, stock = 20) {
  const offer = await createOffer(tenant, {
    kind: "one_time",
    title: "Tour poster (printed)",
    prices: [{ currency: "USD", amount: 2500 }],
    requires_shipping: true,
  });
  const drop = ok(
    await api("POST", "/v1/drops", { key: tenant.key, body: { offer_id: offer.id, stock } }),
    201,
    "drop",
  );
  return { offer, drop };
}

export const createHub = async (tenant: Tenant, body: Record<string, unknown>) =>
  ok(await api("POST", "/v1/fulfilment-hubs", { key: tenant.key, body }), 201, "hub");

export const putRules = async (tenant: Tenant, body: Record<string, unknown>) =>
  ok(await api("PUT", "/v1/fulfilment-rules", { key: tenant.key, body }), 200, "rules");

/** Two hubs (a London micro hub batching daily at 17:00 UTC, a central one) and GB/IE → the micro hub. */
export async function londonAndCentral(tenant: Tenant) {
  const london = await createHub(tenant, {
    name: "London micro hub",
    kind: "micro_hub",
    country: "GB",
    batch_window: { every_minutes: 1440, offset_minutes: 1020 },
  });
  const central = await createHub(tenant, { name: "Central warehouse", kind: "central", country: "NL" });
  await putRules(tenant, {
    rules: [{ when: { countries: ["GB", "IE"] }, path: "micro_hub", hub_id: london.id }],
    default: { path: "central", hub_id: central.id },
  });
  return { london, central };
}

/** A quote for `quantity` of the drop and a checkout of it with `body` (an address, a card). */
export async function buyFromDrop(
  drop: Json,
  body: Record<string, unknown>,
  options: { quantity?: number; key?: string } = {},
) {
  const buyerId = crypto.randomUUID();
  const quoted = await quote(
    { offer_id: drop.offer_id, drop_id: drop.id, quantity: options.quantity ?? 1 },
    buyer(buyerId),
  );
  const q = ok(quoted, 201, "quote");
  return checkout(
    {
      quote: q.token,
      email: `fan-${crypto.randomUUID()}@example.test`,
      payment_method: "4242424242424242",
      ...body,
    },
    { buyerId, ...(options.key ? { key: options.key } : {}) },
  );
}

export const moveFulfilment = (
  tenant: Tenant,
  orderId: string,
  body: Record<string, unknown>,
  key?: string,
) =>
  api("POST", `/v1/orders/${orderId}/fulfilment`, {
    key: tenant.key,
    body,
    ...(key ? { headers: { "idempotency-key": key } } : {}),
  });

/**
 * The tables whose row counts changed between two `tableCounts()`: empty when nothing was written.
 * `webhook_cursor` is the outbound webhooks' one delivery cursor, created once by their dispatcher on
 * its own schedule, not by the request under test.
 */
export const changedTables = (before: Record<string, number>, after: Record<string, number>) =>
  Object.fromEntries(
    Object.keys({ ...before, ...after })
      .filter((t) => t !== "webhook_cursor" && before[t] !== after[t])
      .map((t) => [t, [before[t], after[t]]]),
  );
