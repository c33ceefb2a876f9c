import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { entitlements, members, orders } from "../../src/db/schema";
import { api, type Json } from "../support/api";
import { authorisationSuite } from "../support/auth-suite";
import { expectInvariants } from "../support/drops";
import { introspect } from "../support/entitlements";
import { createDrop, createOffer, membershipTier } from "../support/fixtures";
import { claimUnits, posDevice, posItem, syncItems } from "../support/pos";
import { createTenant, db, type Tenant, tableCounts } from "../support/tenants";

const payLater = { method: "pay_later" } as const;

const post = (tenant: Tenant, path: string, body?: unknown) =>
  api("POST", path, { key: tenant.key, headers: { "idempotency-key": crypto.randomUUID() }, body });

async function grantsOf(tenant: Tenant, orderId: string) {
  const [order] = await db.select().from(orders).where(eq(orders.id, orderId));
  const grants = await db
    .select()
    .from(entitlements)
    .where(
      and(
        eq(entitlements.creatorId, tenant.creatorId),
        eq(entitlements.sourceId, order?.clientReference ?? ""),
      ),
    );
  return { order, grants };
}

describe("pay-later sales at a pop-up", () => {
  it("land pending and grant nothing until the payment is collected; then the tier lands once", async () => {
    const tenant = await createTenant();
    const tier = await createOffer(tenant, membershipTier({ title: "VIP", tier_rank: 3 }));
    const email = `later-${crypto.randomUUID()}@example.test`;
    const device = await posDevice(tenant);
    const res = await syncItems(device, [posItem(tier.id, { email, payment: payLater })]);
    const result = res.body.results[0];
    expect(result).toMatchObject({ status: "accepted", entitlement_ids: [] });
    expect(result.token?.entitlements ?? []).not.toContain(tier.id);
    let state = await grantsOf(tenant, result.order_id);
    expect([state.order?.status, state.grants.length]).toEqual(["pending", 0]);
    const [member] = await db.select().from(members).where(eq(members.id, result.member_id));
    expect(member?.tierOfferId).toBeNull();

    const collected = await post(tenant, `/v1/orders/${result.order_id}/collect`, {
      method: "card",
      reference: "T-991",
    });
    expect(collected.status).toBe(200);
    expect(collected.body).toMatchObject({
      status: "paid",
      payment: { provider: "pos:pay_later", reference: "T-991" },
    });
    state = await grantsOf(tenant, result.order_id);
    expect(state.grants).toHaveLength(1);
    expect(state.grants[0]?.expiresAt).toBeGreaterThan(Date.now() + 27 * 86_400_000);
    const [upgraded] = await db.select().from(members).where(eq(members.id, result.member_id));
    expect(upgraded?.tierOfferId).toBe(tier.id);
    const session = await post(tenant, `/v1/members/${result.member_id}/sessions`, {});
    expect((await introspect(session.body.token, tenant.creatorId)).body.entitlements).toContain(tier.id);

    // Collecting again, or syncing the item again, changes nothing.
    const before = await tableCounts();
    expect(
      (await post(tenant, `/v1/orders/${result.order_id}/collect`, { method: "cash" })).body.status,
    ).toBe("paid");
    const [again] = (
      await syncItems(device, [posItem(tier.id, { email, payment: payLater, client_id: result.client_id })])
    ).body.results;
    expect(again.status).toBe("duplicate");
    expect(await tableCounts()).toEqual(before);
  });

  it("cancelled: a drop sale's units go back on sale, and the order can no longer be collected", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 5 });
    const device = await posDevice(tenant);
    const alt = (await claimUnits(device, drop.id, 3)).body;
    const item = posItem(drop.offer_id, {
      quantity: 2,
      allotment_id: alt.id,
      payment: payLater,
      captured_at: new Date().toISOString(),
    });
    const [result] = (await syncItems(device, [item])).body.results as Json[];
    expect(await expectInvariants(drop.id)).toMatchObject({ held: 1, sold: 2, available: 2 });
    const cancelled = await post(tenant, `/v1/orders/${result.order_id}/cancel`);
    expect(cancelled.body).toMatchObject({ status: "cancelled", drop_id: drop.id });
    expect(await expectInvariants(drop.id)).toMatchObject({ held: 1, sold: 0, available: 4 });
    expect((await post(tenant, `/v1/orders/${result.order_id}/cancel`)).status).toBe(200);
    expect((await expectInvariants(drop.id)).available).toBe(4);
    const collect = await post(tenant, `/v1/orders/${result.order_id}/collect`, { method: "cash" });
    expect(collect.status).toBe(409);
    expect((await grantsOf(tenant, result.order_id)).grants).toHaveLength(0);
  });

  it("refuse orders that were not pay-later sales, paid ones, and malformed bodies", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const device = await posDevice(tenant);
    const [cash, later] = (
      await syncItems(device, [posItem(offer.id), posItem(offer.id, { payment: payLater })])
    ).body.results as Json[];
    expect((await post(tenant, `/v1/orders/${cash.order_id}/collect`, { method: "cash" })).status).toBe(409);
    expect((await post(tenant, `/v1/orders/${cash.order_id}/cancel`)).status).toBe(409);
    const before = await tableCounts();
    for (const body of [{}, { method: "cheque" }, { method: "cash", tip: 1 }]) {
      expect((await post(tenant, `/v1/orders/${later.order_id}/collect`, body)).status).toBe(422);
    }
    expect(await tableCounts()).toEqual(before);
    await post(tenant, `/v1/orders/${later.order_id}/collect`, { method: "cash" });
    expect((await post(tenant, `/v1/orders/${later.order_id}/cancel`)).status).toBe(409);
  });
});

describe("refunding a point-of-sale order", () => {
  it("records the till's refund: the order refunded, its entitlement revoked, a drop sale restocked by policy", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 4, restock_on_refund: true });
    const device = await posDevice(tenant);
    const alt = (await claimUnits(device, drop.id, 2)).body;
    const item = posItem(drop.offer_id, { allotment_id: alt.id, captured_at: new Date().toISOString() });
    const [result] = (await syncItems(device, [item])).body.results as Json[];
    const token = result.token.token;
    expect((await introspect(token, tenant.creatorId)).status).toBe(200);
    expect(await expectInvariants(drop.id)).toMatchObject({ sold: 1, held: 1, available: 2 });
    const refund = () =>
      post(tenant, `/v1/orders/${result.order_id}/refund`, { reason: "requested_by_customer" });
    const res = await refund();
    expect([res.status, res.body.status]).toEqual([200, "refunded"]);
    const { grants } = await grantsOf(tenant, result.order_id);
    expect(grants.map((g) => g.revokeReason)).toEqual(["refund"]);
    // The token minted before the refund is refused at once: the member's token version moved.
    expect((await introspect(token, tenant.creatorId)).status).toBe(410);
    expect(await expectInvariants(drop.id)).toMatchObject({ sold: 0, held: 1, available: 3 });
    const before = await tableCounts();
    expect((await refund()).body.status).toBe("refunded");
    expect(await tableCounts()).toEqual(before);
    expect((await expectInvariants(drop.id)).available).toBe(3);
  });

  it("leaves a drop sale's units sold when the drop does not restock, and refuses an unpaid order", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 4 });
    const device = await posDevice(tenant);
    const alt = (await claimUnits(device, drop.id, 2)).body;
    const now = new Date().toISOString();
    const [paid, unpaid] = (
      await syncItems(device, [
        posItem(drop.offer_id, { allotment_id: alt.id, captured_at: now }),
        posItem(drop.offer_id, { allotment_id: alt.id, captured_at: now, payment: payLater }),
      ])
    ).body.results as Json[];
    expect((await post(tenant, `/v1/orders/${paid.order_id}/refund`, {})).body.status).toBe("refunded");
    expect(await expectInvariants(drop.id)).toMatchObject({ sold: 2, held: 0 });
    const refused = await post(tenant, `/v1/orders/${unpaid.order_id}/refund`, {});
    expect([refused.status, refused.body.detail]).toEqual([
      409,
      expect.stringContaining("cancelled instead"),
    ]);
  });
});

describe("card references recorded offline", () => {
  it("are kept on each order, and two sales under the same reference both land", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const payment = { method: "card_offline", reference: "TERM-42" };
    const res = await syncItems(await posDevice(tenant), [
      posItem(offer.id, { payment }),
      posItem(offer.id, { payment }),
    ]);
    expect(res.body.results.map((r: Json) => r.status)).toEqual(["accepted", "accepted"]);
    for (const r of res.body.results) {
      const [order] = await db.select().from(orders).where(eq(orders.id, r.order_id));
      expect(order?.paymentReference).toBe("TERM-42");
    }
  });
});

async function pendingOrder(owner: Tenant): Promise<string> {
  const offer = await createOffer(owner);
  const res = await syncItems(await posDevice(owner), [posItem(offer.id, { payment: payLater })]);
  return res.body.results[0].order_id;
}

authorisationSuite("POST /v1/orders/{id}/collect", async (owner) => {
  const id = await pendingOrder(owner);
  return (key) =>
    api("POST", `/v1/orders/${id}/collect`, { ...(key ? { key } : {}), body: { method: "cash" } });
});

authorisationSuite("POST /v1/orders/{id}/cancel", async (owner) => {
  const id = await pendingOrder(owner);
  return (key) => api("POST", `/v1/orders/${id}/cancel`, key ? { key } : {});
});
