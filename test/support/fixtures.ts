import { api, type Json } from "./api";
import type { Tenant } from "./tenants";

export const oneTimeOffer = (overrides: Record<string, unknown> = {}) => ({
  kind: "one_time",
  title: "Signed poster",
  prices: [{ currency: "USD", amount: 2000 }],
  ...overrides,
});

export const membershipTier = (overrides: Record<string, unknown> = {}) => ({
  kind: "membership",
  title: "Fan",
  prices: [{ currency: "USD", amount: 300 }],
  billing_interval: "month",
  tier_rank: 1,
  ...overrides,
});

/** Creates an offer through the API and returns it, failing loudly if the API refuses. */
export async function createOffer(
  tenant: Tenant,
  body: Record<string, unknown> = oneTimeOffer(),
): Promise<Json> {
  const res = await api("POST", "/v1/offers", { key: tenant.key, body });
  if (res.status !== 201) throw new Error(`offer fixture refused: ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function createDrop(tenant: Tenant, body: Record<string, unknown> = {}): Promise<Json> {
  const offer = await createOffer(tenant);
  const res = await api("POST", "/v1/drops", {
    key: tenant.key,
    body: { offer_id: offer.id, stock: 100, ...body },
  });
  if (res.status !== 201) throw new Error(`drop fixture refused: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A bundle of `components` (offer ids and units per bundle), priced at 15.00. */
export async function createBundle(
  tenant: Tenant,
  components: { offer_id: string; quantity: number }[],
): Promise<Json> {
  return createOffer(tenant, {
    kind: "bundle",
    title: "Bundle",
    prices: [{ currency: "USD", amount: 1500 }],
    components,
  });
}
