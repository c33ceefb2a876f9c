/** Subscribing through the real checkout, and driving the sandbox billing clock, for lifecycle tests. */

import { and, eq, isNull } from "drizzle-orm";
import { expect } from "vitest";
import { entitlements, members, sandboxPayments, subscriptionInvoices } from "../../src/db/schema";
import { subscriptionIdFor } from "../../src/lib/ids";
import { api, type Json } from "./api";
import { checkout } from "./checkouts";
import { createOffer, membershipTier } from "./fixtures";
import { buyer, quote } from "./quotes";
import { db, type Tenant } from "./tenants";

export const DAY = 24 * 3600_000;
export const WEEK = 7 * DAY;
export const VISA = "4242424242424242";
/** Stripe's card that can be saved but whose every charge is declined. */
export const FAILS = "4000000000000341";

/** A member buys the tier through checkout with `card`; answers the subscription and a session token. */
export async function subscribe(tenant: Tenant, tier?: Json, card = VISA) {
  const offer = tier ?? (await createOffer(tenant, membershipTier({ billing_interval: "week" })));
  const buyerId = crypto.randomUUID();
  const quoted = await quote({ offer_id: offer.id }, buyer(buyerId));
  expect(quoted.status).toBe(201);
  const email = `fan-${crypto.randomUUID()}@example.test`;
  const paid = await checkout({ quote: quoted.body.token, email, payment_method: card }, { buyerId });
  expect(paid.body.status).toBe("paid");
  const id = subscriptionIdFor(paid.body.order_id);
  const sub = await readSubscription(tenant, id);
  const token = await sessionOf(tenant, sub.member_id);
  return {
    id,
    tier: offer,
    orderId: paid.body.order_id as string,
    memberId: sub.member_id as string,
    token,
    sub,
  };
}

/** A fresh session token for the member, as the creator's server signs them in. */
export async function sessionOf(tenant: Tenant, memberId: string): Promise<string> {
  const session = await api("POST", `/v1/members/${memberId}/sessions`, { key: tenant.key, body: {} });
  expect(session.status).toBe(201);
  return session.body.token;
}

export async function readSubscription(tenant: Tenant, id: string): Promise<Json> {
  const res = await api("GET", `/v1/subscriptions/${id}`, { key: tenant.key });
  expect(res.status).toBe(200);
  return res.body;
}

export async function advance(tenant: Tenant, by: string): Promise<Json> {
  const res = await api("POST", "/v1/dev/clock", { key: tenant.key, body: { by } });
  expect(res.status).toBe(200);
  return res.body;
}

export const change = (tenant: Tenant, id: string, body: Record<string, unknown>) =>
  api("PATCH", `/v1/subscriptions/${id}`, { key: tenant.key, body });

export const changeMine = (token: string, id: string, body: Record<string, unknown>) =>
  api("PATCH", `/v1/me/subscriptions/${id}`, { headers: { authorization: `Bearer ${token}` }, body });

/** The tier entitlement the subscription grants, as D1 holds it. */
export async function tierOf(id: string) {
  const [row] = await db
    .select()
    .from(entitlements)
    .where(and(eq(entitlements.sourceType, "subscription"), eq(entitlements.sourceId, id)));
  return row;
}

export const invoicesOf = (id: string) =>
  db.select().from(subscriptionInvoices).where(eq(subscriptionInvoices.subscriptionId, id));

export async function tokenVersionOf(memberId: string) {
  const [row] = await db.select({ v: members.tokenVersion }).from(members).where(eq(members.id, memberId));
  return row?.v;
}

/** Whether the member holds the tier on the wall clock now (what any token minted now would list). */
export async function holdsTier(id: string): Promise<boolean> {
  const row = await tierOf(id);
  return (
    row !== undefined && row.revokedAt === null && (row.expiresAt === null || row.expiresAt > Date.now())
  );
}

export const asMember = (token: string) => ({ authorization: `Bearer ${token}` });
export const quoteFor = (token: string, id: string, offerId: string) =>
  api("POST", `/v1/me/subscriptions/${id}/change-quotes`, {
    headers: asMember(token),
    body: { offer_id: offerId },
  });
export const applyQuote = (token: string, id: string, quote: string) =>
  api("POST", `/v1/me/subscriptions/${id}/tier-changes`, { headers: asMember(token), body: { quote } });

/** A weekly ladder: Fan at 300, Merch at 900. */
export async function ladder(tenant: Tenant) {
  const fan = await createOffer(
    tenant,
    membershipTier({ title: "Fan", billing_interval: "week", tier_rank: 1 }),
  );
  const merch = await createOffer(
    tenant,
    membershipTier({
      title: "Merch",
      billing_interval: "week",
      tier_rank: 2,
      prices: [{ currency: "USD", amount: 900 }],
    }),
  );
  return { fan, merch };
}

/** The tiers the subscription grants now (offer ids, not revoked). */
export async function tiersOf(id: string) {
  const rows = await db
    .select({ offerId: entitlements.offerId })
    .from(entitlements)
    .where(
      and(
        eq(entitlements.sourceType, "subscription"),
        eq(entitlements.sourceId, id),
        isNull(entitlements.revokedAt),
      ),
    );
  return rows.map((r) => r.offerId);
}

/** The sandbox payments made for a subscription (renewals, prorations). */
export const paymentsOf = async (id: string) =>
  (await db.select().from(sandboxPayments)).filter((p) => JSON.parse(p.metadata).subscription_id === id);
