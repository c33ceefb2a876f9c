import { eq } from "drizzle-orm";
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { orders } from "../../../src/db/schema";
import { api, type Json } from "../../support/api";
import { introspect, memberWithGrants } from "../../support/entitlements";
import { createOffer } from "../../support/fixtures";
import { posDevice, posItem, syncItems } from "../../support/pos";
import { createTenant, db, tableCounts } from "../../support/tenants";

/** A creator with a member who already holds two paid-for entitlements, a poster to sell, a device. */
async function stallWithMember() {
  const tenant = await createTenant();
  const member = await memberWithGrants(tenant, 2);
  const poster = await createOffer(tenant, {
    kind: "one_time",
    title: "Poster",
    prices: [{ currency: "USD", amount: 100 }],
  });
  const device = await posDevice(tenant);
  return { tenant, member, email: `${member.memberId}@example.test`, poster: poster.id as string, device };
}

const claimsOf = (result: Json) => decodeJwt(result.token.token);

describe("access-without-money: pos", () => {
  it("an anonymous buyer using a member's email at the till gets no token for that member's other entitlements", async () => {
    const { tenant, member, email, poster, device } = await stallWithMember();
    const res = await syncItems(device, [posItem(poster, { email, amount: 100 })]);
    const [result] = res.body.results;
    // The sale is recorded for the member with that email, so it appears when they sign in…
    expect(result).toMatchObject({ status: "accepted", member_id: member.memberId });
    // …but what the buyer gets back proves only what this sale paid for.
    expect(result.token.entitlements).toEqual([poster]);
    const claims = claimsOf(result);
    expect(claims.ent).toEqual([poster]);
    expect(claims.scope).toBe("purchase");
    for (const offer of member.offers) expect(claims.ent).not.toContain(offer);
    const seen = await introspect(result.token.token, tenant.creatorId);
    expect(seen.body).toMatchObject({ active: true, entitlements: [poster], scope: "purchase" });
    expect(Object.keys(result)).not.toContain("refresh_token");
    expect(Object.keys(result.token)).not.toContain("refresh_token");
  });

  it("a till receipt cannot stand in for a sign-in: refused as a member_token", async () => {
    const { email, poster, device } = await stallWithMember();
    const [result] = (await syncItems(device, [posItem(poster, { email })])).body.results;
    const res = await api("POST", "/v1/quotes", {
      body: { offer_id: poster, member_token: result.token.token },
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.type).toContain("token-invalid");
    expect(res.body.errors).toEqual([expect.objectContaining({ path: "/member_token" })]);
  });

  it("a replay of a member's-email sale as a duplicate still hands back only that sale's receipt", async () => {
    const { member, email, poster, device } = await stallWithMember();
    const item = posItem(poster, { email, amount: 100 });
    await syncItems(device, [item]);
    const again = await syncItems(device, [item]);
    const [result] = again.body.results;
    expect(result).toMatchObject({ status: "duplicate", member_id: member.memberId });
    expect(claimsOf(result).ent).toEqual([poster]);
    expect(claimsOf(result).scope).toBe("purchase");
  });

  it("two sales to one email in one batch each get a receipt for their own sale only", async () => {
    const { email, poster, device, tenant } = await stallWithMember();
    const badge = await createOffer(tenant, {
      kind: "one_time",
      title: "Badge",
      prices: [{ currency: "USD", amount: 100 }],
    });
    const res = await syncItems(device, [posItem(poster, { email }), posItem(badge.id, { email })]);
    expect(res.body.results.map((r: Json) => claimsOf(r).ent)).toEqual([[poster], [badge.id]]);
  });

  it("a pay-later sale under a member's email hands back no token at all", async () => {
    const { email, poster, device } = await stallWithMember();
    const res = await syncItems(device, [posItem(poster, { email, payment: { method: "pay_later" } })]);
    const [result] = res.body.results;
    expect(result).toMatchObject({ status: "accepted", entitlement_ids: [] });
    expect(result.token).toBeUndefined();
    const again = await syncItems(device, [posItem(poster, { email, payment: { method: "pay_later" } })]);
    expect(again.body.results[0].token).toBeUndefined();
  });

  it("replaying a pay-later sale as cash grants nothing and hands back no token", async () => {
    const { tenant, email, poster, device } = await stallWithMember();
    const item = posItem(poster, { email, payment: { method: "pay_later" } });
    await syncItems(device, [item]);
    const before = await tableCounts();
    const replay = await syncItems(device, [{ ...item, payment: { method: "cash" } }]);
    const [result] = replay.body.results;
    expect(result).toMatchObject({ status: "duplicate", entitlement_ids: [] });
    expect(result.token).toBeUndefined();
    expect((await tableCounts()).entitlements).toBe(before.entitlements);
    const [order] = await db.select().from(orders).where(eq(orders.id, result.order_id));
    expect(order?.status).toBe("pending");
    expect(order?.creatorId).toBe(tenant.creatorId);
  });

  it("replaying a sale refunded at the till hands back no token", async () => {
    const { tenant, poster, device } = await stallWithMember();
    const item = posItem(poster);
    const [landed] = (await syncItems(device, [item])).body.results;
    expect(landed.token.entitlements).toEqual([poster]);
    const refund = await api("POST", `/v1/orders/${landed.order_id}/refund`, {
      key: tenant.key,
      body: { reason: "requested_by_customer" },
      headers: { "idempotency-key": crypto.randomUUID() },
    });
    expect(refund.status).toBe(200);
    const [replayed] = (await syncItems(device, [item])).body.results;
    expect(replayed.status).toBe("duplicate");
    expect(replayed.token).toBeUndefined();
  });
});
