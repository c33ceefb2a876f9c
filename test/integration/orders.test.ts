import { describe, expect, it } from "vitest";
import { api, type Json } from "../support/api";
import { authorisationSuite } from "../support/auth-suite";
import { checkout, quotedDrop } from "../support/checkouts";
import { createTenant, type Tenant } from "../support/tenants";

/** A paid order through the public API: a quote for a drop's unit, paid with 4242. */
async function paidOrder(tenant: Tenant, terms: Record<string, unknown> = {}) {
  const buyerId = crypto.randomUUID();
  const { drop, quote } = await quotedDrop(tenant, buyerId, terms);
  const res = await checkout(
    {
      quote: quote.token,
      email: `${buyerId}@example.com`,
      payment_method: "4242424242424242",
      source: "overlay",
    },
    { buyerId },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { drop, checkout: res.body as Json, orderId: res.body.order_id as string };
}

const list = (tenant: Tenant, query = "") => api("GET", `/v1/orders${query}`, { key: tenant.key });

describe("GET /v1/orders", () => {
  it("lists the creator's orders newest first, paged with a cursor", async () => {
    const tenant = await createTenant();
    const made = [];
    for (let i = 0; i < 3; i++) made.push((await paidOrder(tenant)).orderId);
    const first = await list(tenant, "?limit=2");
    expect(first.status).toBe(200);
    expect(first.body.data.map((o: Json) => o.id)).toEqual([made[2], made[1]]);
    expect(first.body.has_more).toBe(true);
    const second = await list(tenant, `?limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`);
    expect(second.body.data.map((o: Json) => o.id)).toEqual([made[0]]);
    expect(second.body.has_more).toBe(false);
  });

  it("filters by status, offer, drop, member, source and a created range", async () => {
    const tenant = await createTenant();
    const a = await paidOrder(tenant);
    const b = await paidOrder(tenant);
    const ids = async (query: string) => (await list(tenant, query)).body.data.map((o: Json) => o.id);
    expect(await ids(`?drop_id=${a.drop.id}`)).toEqual([a.orderId]);
    expect(await ids(`?offer_id=${b.drop.offer_id}`)).toEqual([b.orderId]);
    expect(await ids(`?member_id=${a.checkout.member_id}`)).toEqual([a.orderId]);
    expect(await ids("?status=paid&source=overlay")).toEqual([b.orderId, a.orderId]);
    expect(await ids("?status=refunded")).toEqual([]);
    expect(await ids("?source=pos")).toEqual([]);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect(await ids(`?created_from=${encodeURIComponent(future)}`)).toEqual([]);
    expect(await ids(`?created_to=${encodeURIComponent(future)}`)).toEqual([b.orderId, a.orderId]);
  });

  it("never lists another creator's orders", async () => {
    const [owner, other] = [await createTenant(), await createTenant()];
    await paidOrder(owner);
    expect((await list(other)).body.data).toEqual([]);
  });

  it.each([
    ["an unknown status", "?status=shipped"],
    ["an unknown source", "?source=tv"],
    ["a created_from that is no instant", "?created_from=yesterday"],
    ["a limit over 100", "?limit=101"],
  ])("refuses %s with 422", async (_, query) => {
    const res = await list(await createTenant(), query);
    expect(res.status).toBe(422);
  });
});

describe("GET /v1/orders/{id}", () => {
  it("shows the order with its price lines, its entitlement and a timeline that grows with a refund", async () => {
    const tenant = await createTenant();
    const { orderId, checkout: paid } = await paidOrder(tenant);
    const read = await api("GET", `/v1/orders/${orderId}`, { key: tenant.key });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: orderId, object: "order", status: "paid", amount: paid.amount });
    expect(read.body.lines.map((l: Json) => l.type)).toContain("base");
    expect(read.body.entitlements).toEqual([
      expect.objectContaining({ benefit_key: paid.offer_id, revoked_at: null }),
    ]);
    const before = read.body.timeline.map((t: Json) => t.action);
    expect(before.length).toBeGreaterThan(0);
    const refunded = await api("POST", `/v1/orders/${orderId}/refund`, { key: tenant.key, body: {} });
    expect(refunded.status).toBe(200);
    const after = await api("GET", `/v1/orders/${orderId}`, { key: tenant.key });
    expect(after.body.status).toBe("refunded");
    expect(after.body.timeline.map((t: Json) => t.action)).toEqual([...before, "order.refunded"]);
    expect(after.body.entitlements[0].revoked_at).not.toBeNull();
    const times = after.body.timeline.map((t: Json) => Date.parse(t.at));
    expect([...times].sort((x, y) => x - y)).toEqual(times);
  });

  it("answers 404 for another creator's order and for an id that is no order", async () => {
    const [owner, other] = [await createTenant(), await createTenant()];
    const { orderId } = await paidOrder(owner);
    expect((await api("GET", `/v1/orders/${orderId}`, { key: other.key })).status).toBe(404);
    expect((await api("GET", "/v1/orders/ord_nothing", { key: owner.key })).status).toBe(404);
  });
});

authorisationSuite("GET /v1/orders/{id}", async (owner) => {
  const { orderId } = await paidOrder(owner);
  return (key) => api("GET", `/v1/orders/${orderId}`, { key });
});

authorisationSuite(
  "GET /v1/orders",
  async (owner) => {
    await paidOrder(owner);
    return (key) => api("GET", "/v1/orders", { key });
  },
  "empty_list",
);
