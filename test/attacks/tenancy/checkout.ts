/**
 * Tenancy around checkout: another creator's key names this creator's orders, entitlements and members,
 * and gets 404 (or "no such" 422 inside a body) with nothing changed.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { entitlements, orders } from "../../../src/db/schema";
import { api } from "../../support/api";
import { checkout, quotedDrop } from "../../support/checkouts";
import { createTenant, db, tableCounts } from "../../support/tenants";

const email = () => `buyer-${crypto.randomUUID()}@example.test`;

async function paidOrder() {
  const owner = await createTenant();
  const buyerId = `tenant-${crypto.randomUUID()}`;
  const { quote } = await quotedDrop(owner, buyerId);
  const paid = await checkout(
    { quote: quote.token, email: email(), payment_method: "4242424242424242" },
    { buyerId },
  );
  if (paid.body.status !== "paid") throw new Error(`checkout refused: ${JSON.stringify(paid.body)}`);
  const [granted] = await db.select().from(entitlements).where(eq(entitlements.sourceId, paid.body.order_id));
  if (granted === undefined) throw new Error("nothing granted");
  return { owner, paid: paid.body, granted };
}

describe("tenancy: checkout, orders and entitlements", () => {
  it("another creator's key cannot refund, collect or cancel this creator's order: 404, nothing changes", async () => {
    const { paid } = await paidOrder();
    const intruder = await createTenant("Intruder");
    const before = await tableCounts();
    const calls: [string, Record<string, unknown>][] = [
      ["refund", {}],
      ["collect", { method: "cash" }],
      ["cancel", {}],
    ];
    for (const [verb, body] of calls) {
      const res = await api("POST", `/v1/orders/${paid.order_id}/${verb}`, { key: intruder.key, body });
      expect(res.status, verb).toBe(404);
    }
    expect(await tableCounts()).toEqual(before);
    const [order] = await db.select().from(orders).where(eq(orders.id, paid.order_id));
    expect(order?.status).toBe("paid");
  });

  it("another creator's key cannot read or revoke this creator's entitlement, nor sign its member in", async () => {
    const { granted } = await paidOrder();
    const intruder = await createTenant("Intruder");
    expect((await api("GET", `/v1/entitlements/${granted.id}`, { key: intruder.key })).status).toBe(404);
    const revoke = await api("DELETE", `/v1/entitlements/${granted.id}?reason=admin`, { key: intruder.key });
    expect(revoke.status).toBe(404);
    const session = await api("POST", `/v1/members/${granted.memberId}/sessions`, {
      key: intruder.key,
      body: {},
    });
    expect(session.status).toBe(404);
    const [row] = await db.select().from(entitlements).where(eq(entitlements.id, granted.id));
    expect(row?.revokedAt).toBeNull();
  });

  it("another creator's key cannot grant its own offers to this creator's member", async () => {
    const { granted } = await paidOrder();
    const intruder = await createTenant("Intruder");
    const before = await tableCounts();
    const res = await api("POST", "/v1/entitlements", {
      key: intruder.key,
      body: { member_id: granted.memberId, benefit_key: "backstage" },
    });
    expect([404, 422]).toContain(res.status);
    expect(await tableCounts()).toEqual(before);
  });

  it("a checkout's secret reads only its own checkout, not another's id", async () => {
    const first = await paidOrder();
    const second = await paidOrder();
    const res = await api("GET", `/v1/checkouts/${second.paid.id}`, {
      headers: { "checkout-secret": first.paid.secret },
    });
    expect(res.status).toBe(404);
    const receipt = await api("GET", `/v1/orders/${second.paid.order_id}/receipt`, {
      headers: { "checkout-secret": first.paid.secret },
    });
    expect(receipt.status).toBe(404);
  });
});
