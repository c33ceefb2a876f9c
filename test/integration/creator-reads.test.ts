import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app";
import { checkouts } from "../../src/db/schema";
import { api, type Json } from "../support/api";
import { authorisationSuite } from "../support/auth-suite";
import { declinedCheckout, paidOrder } from "../support/creator-reads";
import { countingD1 } from "../support/faults";
import { subscribe } from "../support/subscriptions";
import { createTenant, db, type Tenant } from "../support/tenants";

const list = (tenant: Tenant, query = "") => api("GET", `/v1/checkouts${query}`, { key: tenant.key });
const ids = async (tenant: Tenant, query: string) =>
  (await list(tenant, query)).body.data.map((c: Json) => c.id as string);

describe("GET /v1/checkouts", () => {
  it("shows the creator each checkout with its payment, hold, attribution and time to entitlement", async () => {
    const tenant = await createTenant();
    const { checkout: paid } = await paidOrder(tenant, { attribution: { campaign: "spring" } });
    const res = await list(tenant);
    expect(res.status).toBe(200);
    const [row] = res.body.data;
    expect(row).toMatchObject({
      id: paid.id,
      object: "checkout",
      status: "paid",
      order_id: paid.order_id,
      amount: paid.amount,
      email: paid.email,
      source: "link",
      attribution: { campaign: "spring" },
      payment: { provider: "sandbox", id: paid.payment.id },
      failure: null,
      completed_by: expect.any(String),
    });
    expect(row.holds).toEqual([expect.objectContaining({ drop_id: paid.drop_id, quantity: 1 })]);
    expect(Date.parse(row.hold_expires_at)).toBeGreaterThan(Date.parse(row.created_at));
    expect(row.time_to_entitlement_ms).toBe(
      Date.parse(row.entitlement_issued_at) - Date.parse(row.payment_succeeded_at),
    );
    expect(row.provider_stats.attempts).toBeGreaterThan(0);
  });

  it("shows a declined checkout's failure and decline codes", async () => {
    const tenant = await createTenant();
    await declinedCheckout(tenant);
    const [row] = (await list(tenant)).body.data;
    expect(row).toMatchObject({
      status: "failed",
      failure: { code: "card_declined", decline_code: "generic_decline" },
      time_to_entitlement_ms: null,
      paid_at: null,
    });
  });

  it("never shows the buyer's secret, its hash or the provider's client secret", async () => {
    const tenant = await createTenant();
    const { checkout: paid } = await paidOrder(tenant);
    const [stored] = await db.select().from(checkouts).where(eq(checkouts.id, paid.id));
    const text = JSON.stringify((await list(tenant)).body);
    expect(stored?.secretHash).toBeTruthy();
    for (const secret of [stored?.secretHash, stored?.clientSecret, paid.secret, "secret"]) {
      if (secret) expect(text).not.toContain(secret);
    }
  });

  it("pages newest first with a cursor, never repeating or skipping one", async () => {
    const tenant = await createTenant();
    const made: string[] = [];
    for (let i = 0; i < 3; i++) made.push((await paidOrder(tenant)).checkout.id);
    // Two checkouts in the same millisecond: the id breaks the tie, so paging stays exact.
    const at = Date.now() + 1000;
    await db
      .update(checkouts)
      .set({ createdAt: at })
      .where(eq(checkouts.id, made[1] as string));
    await db
      .update(checkouts)
      .set({ createdAt: at })
      .where(eq(checkouts.id, made[2] as string));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Json = await list(
        tenant,
        `?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      seen.push(...page.body.data.map((c: Json) => c.id));
      cursor = page.body.next_cursor;
    } while (cursor !== null);
    expect(seen).toEqual(await ids(tenant, ""));
    expect([...seen].sort()).toEqual([...made].sort());
    expect(seen[2]).toBe(made[0]);
  });

  it("filters by status, drop, member, email (compared lower-cased) and a created range", async () => {
    const tenant = await createTenant();
    const a = await paidOrder(tenant);
    const b = await paidOrder(tenant);
    const failed = await declinedCheckout(tenant);
    expect(await ids(tenant, "?status=paid")).toEqual([b.checkout.id, a.checkout.id]);
    expect(await ids(tenant, "?status=failed")).toEqual([failed.checkout.id]);
    expect(await ids(tenant, `?drop_id=${a.drop.id}`)).toEqual([a.checkout.id]);
    expect(await ids(tenant, `?member_id=${b.checkout.member_id}`)).toEqual([b.checkout.id]);
    const shouted = encodeURIComponent(` ${String(a.checkout.email).toUpperCase()} `);
    expect(await ids(tenant, `?email=${shouted}`)).toEqual([a.checkout.id]);
    expect(await ids(tenant, "?email=nobody%40example.com")).toEqual([]);
    const future = encodeURIComponent(new Date(Date.now() + 60_000).toISOString());
    expect(await ids(tenant, `?created_from=${future}`)).toEqual([]);
    expect(await ids(tenant, `?created_to=${future}&status=paid`)).toEqual([b.checkout.id, a.checkout.id]);
  });

  it("never lists another creator's checkouts", async () => {
    const [owner, other] = [await createTenant(), await createTenant()];
    const { checkout: paid } = await paidOrder(owner);
    expect((await list(other)).body.data).toEqual([]);
    expect((await list(other, `?member_id=${paid.member_id}`)).body.data).toEqual([]);
    expect((await list(other, `?email=${encodeURIComponent(paid.email)}`)).body.data).toEqual([]);
  });

  it.each([
    ["an unknown status", "?status=shipped"],
    ["a created_to that is no instant", "?created_to=tomorrow"],
    ["an email over 254 characters", `?email=${"a".repeat(255)}`],
    ["a cursor this API never issued", "?cursor=nope"],
  ])("refuses %s with 422", async (_, query) => {
    expect((await list(await createTenant(), query)).status).toBe(422);
  });
});

describe("GET /v1/orders/{id}: its checkout", () => {
  it("carries the creator's view of the checkout that paid for it, without secrets", async () => {
    const tenant = await createTenant();
    const { orderId, checkout: paid } = await paidOrder(tenant);
    const read = await api("GET", `/v1/orders/${orderId}`, { key: tenant.key });
    expect(read.body.checkout).toMatchObject({ id: paid.id, status: "paid", order_id: orderId });
    expect(read.body.checkout.time_to_entitlement_ms).toEqual(expect.any(Number));
    expect(JSON.stringify(read.body)).not.toContain(paid.secret);
  });
});

const summary = (tenant: Tenant, id: string) => api("GET", `/v1/members/${id}/summary`, { key: tenant.key });

describe("GET /v1/members/{id}/summary", () => {
  it("shows the member with their subscription, entitlements (active and revoked) and orders", async () => {
    const tenant = await createTenant();
    const sub = await subscribe(tenant);
    const res = await summary(tenant, sub.memberId);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      object: "member_summary",
      member: { id: sub.memberId, object: "member", tier_offer_id: sub.tier.id },
      subscriptions: {
        data: [
          {
            id: sub.id,
            status: "active",
            offer_id: sub.tier.id,
            amount: sub.sub.amount,
            currency: sub.sub.currency,
            interval: sub.sub.interval,
            current_period_end: sub.sub.current_period_end,
            cancel_at_period_end: false,
          },
        ],
        has_more: false,
      },
      orders: {
        object: "list",
        data: [{ id: sub.orderId, member_id: sub.memberId }],
        has_more: false,
        next_cursor: null,
        url: `/v1/orders?member_id=${sub.memberId}`,
      },
    });
    const [granted] = res.body.entitlements.data;
    expect(granted).toMatchObject({ member_id: sub.memberId, revoked_at: null });
    const revoked = await api("DELETE", `/v1/entitlements/${granted.id}?reason=admin`, { key: tenant.key });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    const after = await summary(tenant, sub.memberId);
    expect(after.body.entitlements.data).toEqual([
      expect.objectContaining({ id: granted.id, revoke_reason: "admin" }),
    ]);
    expect(after.body.member.tier_offer_id).toBeNull();
  });

  it("reads the member and everything about them in one D1 batch", async () => {
    const tenant = await createTenant();
    const sub = await subscribe(tenant);
    const d1 = countingD1(env.DB);
    const res = await buildApp().fetch(
      new Request(`http://api.test/v1/members/${sub.memberId}/summary`, {
        headers: { authorization: `Bearer ${tenant.key}` },
      }),
      { ...env, DB: d1.binding },
    );
    expect(res.status).toBe(200);
    const reads = d1.seen.queries.filter((q) => !/api_keys/.test(q));
    expect(reads, d1.seen.queries.join("\n")).toHaveLength(1);
    expect(reads[0]).toMatch(/^batch of 5:/);
  });

  it("pages the member's orders on from the summary's cursor through GET /v1/orders", async () => {
    const tenant = await createTenant();
    const first = await paidOrder(tenant, { email: "repeat@example.com" });
    const bought = [first.orderId];
    for (let i = 0; i < 10; i++)
      bought.push((await paidOrder(tenant, { email: "repeat@example.com" })).orderId);
    const memberId = first.checkout.member_id as string;
    const res = await summary(tenant, memberId);
    expect(res.body.orders.data).toHaveLength(10);
    expect(res.body.orders.has_more).toBe(true);
    const rest = await api(
      "GET",
      `${res.body.orders.url}&cursor=${encodeURIComponent(res.body.orders.next_cursor)}`,
      { key: tenant.key },
    );
    const seen = [...res.body.orders.data, ...rest.body.data].map((o: Json) => o.id);
    expect(seen).toEqual([...bought].reverse());
  });

  it("answers 404 for another creator's member and for an id that is no member", async () => {
    const [owner, other] = [await createTenant(), await createTenant()];
    const { checkout: paid } = await paidOrder(owner);
    expect((await summary(other, paid.member_id)).status).toBe(404);
    expect((await summary(owner, "mem_nothing")).status).toBe(404);
  });
});

authorisationSuite(
  "GET /v1/checkouts",
  async (owner) => {
    await paidOrder(owner);
    return (key) => api("GET", "/v1/checkouts", { key });
  },
  "empty_list",
);

authorisationSuite("GET /v1/members/{id}/summary", async (owner) => {
  const { checkout: paid } = await paidOrder(owner);
  return (key) => api("GET", `/v1/members/${paid.member_id}/summary`, { key });
});
