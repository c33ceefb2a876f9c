import { env } from "cloudflare:workers";
import { readConfig } from "../../src/config";
import { members, orders } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { quoteKeys } from "../../src/quotes/token";
import { api, type Json } from "./api";
import { createOffer } from "./fixtures";
import { db, type Tenant } from "./tenants";

/** The worker's own quote keys, parsed from the same binding it reads. */
export const testQuoteKeys = () => quoteKeys(readConfig(env).QUOTE_SIGNING_KEYS);

export const buyer = (id = crypto.randomUUID()) => ({ "buyer-id": id });

export async function quote(
  body: Record<string, unknown>,
  headers: Record<string, string> = buyer(),
  key?: string,
) {
  return api("POST", "/v1/quotes", { body, headers, ...(key ? { key } : {}) });
}

/** An offer with a price table set through the admin API. */
export async function pricedOffer(
  tenant: Tenant,
  table: Record<string, unknown>,
  offer: Record<string, unknown> = {},
) {
  const created = await createOffer(tenant, {
    kind: "one_time",
    title: "Poster",
    prices: [{ currency: "USD", amount: 1000 }],
    ...offer,
  });
  const res = await api("PUT", `/v1/offers/${created.id}/price-table`, { key: tenant.key, body: table });
  if (res.status !== 200) throw new Error(`price table refused: ${JSON.stringify(res.body)}`);
  return created as Json;
}

/** A member row as checkout or reconcile will write it (no admin route creates members). */
export async function insertMember(
  tenant: Tenant,
  tierOfferId: string | null,
  status: "active" | "lapsed" = "active",
) {
  const id = newId("member");
  const now = Date.now();
  await db.insert(members).values({
    id,
    creatorId: tenant.creatorId,
    email: `${id}@example.test`,
    tierOfferId,
    cohort: "utility",
    acquisitionSource: "api",
    status,
    joinedAt: now,
    updatedAt: now,
  });
  return id;
}

/**
 * A member holding `tierOfferId` as pricing sees it: an active entitlement to the tier, granted through
 * the admin API (the member row's own `tier_offer_id` is left as a pop-up sale would write it).
 */
export async function memberWithTier(
  tenant: Tenant,
  tierOfferId: string,
  status: "active" | "lapsed" = "active",
): Promise<{ memberId: string; entitlementId: string }> {
  const memberId = await insertMember(tenant, tierOfferId, status);
  const res = await api("POST", "/v1/entitlements", {
    key: tenant.key,
    body: { member_id: memberId, offer_id: tierOfferId },
  });
  if (res.status !== 201) throw new Error(`tier grant refused: ${JSON.stringify(res.body)}`);
  return { memberId, entitlementId: res.body.id };
}

/** An order row as checkout will write it, for upsell windows and experiment results. */
export async function insertOrder(
  tenant: Tenant,
  offerId: string,
  fields: Partial<typeof orders.$inferInsert> = {},
): Promise<string> {
  const id = newId("order");
  const now = Date.now();
  await db.insert(orders).values({
    id,
    creatorId: tenant.creatorId,
    email: "buyer@example.test",
    offerId,
    quantity: 1,
    currency: "USD",
    amountTotal: 1000,
    status: "paid",
    source: "link",
    createdAt: now,
    updatedAt: now,
    paidAt: now,
    ...fields,
  });
  return id;
}
