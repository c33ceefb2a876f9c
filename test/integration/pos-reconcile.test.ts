import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { entitlements, members, orders, type PosDeviceRow, posDevices } from "../../src/db/schema";
import { inventoryGateway } from "../../src/inventory/gateway";
import { reconcile } from "../../src/pos/reconcile";
import { api, type Json } from "../support/api";
import { introspect } from "../support/entitlements";
import { createOffer, membershipTier } from "../support/fixtures";
import { posDevice, posItem, sendBatch, signBatch, syncItems } from "../support/pos";
import { createTenant, db, type Tenant, tableCounts } from "../support/tenants";

async function shop(tenant: Tenant) {
  const fan = await createOffer(tenant, membershipTier({ title: "Fan", tier_rank: 1 }));
  const vip = await createOffer(
    tenant,
    membershipTier({ title: "VIP", tier_rank: 2, prices: [{ currency: "USD", amount: 900 }] }),
  );
  const poster = await createOffer(tenant, {
    kind: "one_time",
    title: "Poster",
    prices: [{ currency: "USD", amount: 2000 }],
  });
  return { fan: fan.id as string, vip: vip.id as string, poster: poster.id as string };
}

const statuses = (res: { body: Json }) => res.body.results.map((r: Json) => r.status);

async function rowsFor(tenant: Tenant) {
  const memberRows = await db.select().from(members).where(eq(members.creatorId, tenant.creatorId));
  const orderRows = await db
    .select()
    .from(orders)
    .where(and(eq(orders.creatorId, tenant.creatorId), eq(orders.source, "pos")));
  const grantRows = await db
    .select()
    .from(entitlements)
    .where(and(eq(entitlements.creatorId, tenant.creatorId), eq(entitlements.sourceType, "pos")));
  return { members: memberRows, orders: orderRows, entitlements: grantRows };
}

describe("POST /v1/pos/reconcile", () => {
  it("lands each item once: one member per email, tier upgrades, an order and an entitlement per item, a receipt token", async () => {
    const tenant = await createTenant();
    const offers = await shop(tenant);
    const device = await posDevice(tenant);
    const email = `regular-${crypto.randomUUID()}@example.test`;
    const items = [
      posItem(offers.fan, { email }),
      posItem(offers.vip, { email: email.toUpperCase() }),
      posItem(offers.poster),
    ];
    const res = await syncItems(device, items);
    expect(res.status).toBe(200);
    expect(statuses(res)).toEqual(["accepted", "accepted", "accepted"]);
    expect(res.body.results[0].member_id).toBe(res.body.results[1].member_id);
    expect(Object.keys(res.body.results[2]).sort()).toEqual(
      ["client_id", "entitlement_ids", "index", "member_id", "order_id", "status", "token"].sort(),
    );
    const rows = await rowsFor(tenant);
    expect(rows.members).toHaveLength(2);
    const regular = rows.members.find((m) => m.email === email);
    expect(regular).toMatchObject({ tierOfferId: offers.vip, acquisitionSource: "pos:spring-market" });
    expect(rows.orders.map((o) => o.clientReference).sort()).toEqual(items.map((i) => i.client_id).sort());
    expect(rows.entitlements).toHaveLength(3);
    const vipGrant = rows.entitlements.find((e) => e.benefitKey === offers.vip);
    expect(vipGrant?.expiresAt).toBeGreaterThan(Date.now() + 27 * 86_400_000);
    // Each item's token is a receipt of that sale alone, even for two sales to one member.
    const token = res.body.results[1].token;
    expect([token.entitlements, token.scope]).toEqual([[offers.vip], "purchase"]);
    expect(res.body.results[0].token.entitlements).toEqual([offers.fan]);
    expect((await introspect(token.token, tenant.creatorId)).status).toBe(200);
  });

  it("answers a batch replayed ten times, shuffled, or in prefixes with the same results and no new rows", async () => {
    const tenant = await createTenant();
    const offers = await shop(tenant);
    const device = await posDevice(tenant);
    const items = Array.from({ length: 6 }, (_, i) => posItem(i % 2 ? offers.fan : offers.poster));
    const first = await syncItems(device, items, "batch-1");
    const after = await tableCounts();
    for (let i = 0; i < 10; i++) {
      const again = await syncItems(device, items, "batch-1");
      expect(statuses(again)).toEqual(Array(6).fill("duplicate"));
      expect(again.body.results.map((r: Json) => r.order_id)).toEqual(
        first.body.results.map((r: Json) => r.order_id),
      );
    }
    const shuffled = [...items].reverse();
    expect(statuses(await syncItems(device, shuffled))).toEqual(Array(6).fill("duplicate"));
    expect(statuses(await syncItems(device, items.slice(0, 3)))).toEqual(Array(3).fill("duplicate"));
    expect(await tableCounts()).toMatchObject({
      orders: after.orders,
      entitlements: after.entitlements,
      members: after.members,
    });
  });

  it("lands a full 500-item batch (its inserts split under D1's 100 bound parameters)", async () => {
    const tenant = await createTenant();
    const offers = await shop(tenant);
    const device = await posDevice(tenant, { max_offline_units: 1000 });
    const items = Array.from({ length: 500 }, (_, i) => posItem(i % 2 ? offers.fan : offers.poster));
    const res = await syncItems(device, items);
    expect(res.status).toBe(200);
    expect(new Set(statuses(res))).toEqual(new Set(["accepted"]));
    const rows = await rowsFor(tenant);
    expect([rows.members.length, rows.orders.length, rows.entitlements.length]).toEqual([500, 500, 500]);
  });

  it("answers an item repeated within one batch as a duplicate of its first copy", async () => {
    const tenant = await createTenant();
    const offers = await shop(tenant);
    const device = await posDevice(tenant);
    const item = posItem(offers.poster);
    const res = await syncItems(device, [item, item]);
    expect(statuses(res)).toEqual(["accepted", "duplicate"]);
    expect(res.body.results[1].order_id).toBe(res.body.results[0].order_id);
    expect((await rowsFor(tenant)).orders).toHaveLength(1);
  });

  it("lands the same items once when two devices send them at the same time", async () => {
    const tenant = await createTenant();
    const offers = await shop(tenant);
    const [a, b] = [await posDevice(tenant), await posDevice(tenant)];
    const items = Array.from({ length: 8 }, () => posItem(offers.fan));
    const [ra, rb] = await Promise.all([syncItems(a, items), syncItems(b, items)]);
    for (let i = 0; i < items.length; i++) {
      expect([ra.body.results[i].status, rb.body.results[i].status].sort()).toEqual([
        "accepted",
        "duplicate",
      ]);
      expect(ra.body.results[i].order_id).toBe(rb.body.results[i].order_id);
    }
    const rows = await rowsFor(tenant);
    expect(rows.orders).toHaveLength(8);
    expect(rows.entitlements).toHaveLength(8);
    expect(rows.members).toHaveLength(8);
  });

  it("rejects bad items one by one and lands the good ones beside them", async () => {
    const tenant = await createTenant();
    const offers = await shop(tenant);
    const device = await posDevice(tenant, {
      max_units_per_transaction: 2,
      max_offline_units: 4,
      offline_window_hours: 24,
    });
    const items = [
      posItem(offers.poster),
      { ...posItem(offers.poster), client_id: "not-a-uuid" },
      posItem("off_nope"),
      posItem(offers.poster, { captured_at: new Date(Date.now() - 25 * 3600_000).toISOString() }),
      posItem(offers.poster, { captured_at: new Date(Date.now() + 3600_000).toISOString() }),
      posItem(offers.poster, { quantity: 3 }),
      posItem(offers.poster, { quantity: 2 }),
      posItem(offers.poster, { quantity: 2 }),
      posItem(offers.poster, { allotment_id: "alt_1" }),
    ];
    const res = await syncItems(device, items);
    expect(res.body.results.map((r: Json) => r.code ?? r.status)).toEqual([
      "accepted",
      "invalid",
      "unknown_offer",
      "offline_window_exceeded",
      "offline_window_exceeded",
      "device_limit_exceeded",
      "accepted",
      "device_limit_exceeded",
      "invalid",
    ]);
    expect((await rowsFor(tenant)).orders).toHaveLength(2);
  });

  describe("refuses a batch it cannot trust, writing nothing", () => {
    it.each([
      ["unsigned JSON", async () => JSON.stringify({ batch_id: "x" }), 401],
      [
        "another key's signature",
        async (d: Json, other: Json) => signBatch({ id: d.id, privateKey: other.privateKey }, batchBody()),
        401,
      ],
      ["an unknown device", async (d: Json) => signBatch(d, batchBody(), "dev_unknown"), 401],
      [
        "a stale signing time",
        async (d: Json) =>
          signBatch(d, { ...batchBody(), signed_at: new Date(Date.now() - 600_000).toISOString() }),
        401,
      ],
      [
        "more than 500 items",
        async (d: Json) => signBatch(d, { ...batchBody(), items: Array(501).fill({}) }),
        422,
      ],
    ])("%s", async (_name, make, status) => {
      const tenant = await createTenant();
      const [device, other] = [await posDevice(tenant), await posDevice(tenant)];
      const before = await tableCounts();
      const res = await sendBatch(await make(device, other));
      expect(res.status).toBe(status);
      expect(await tableCounts()).toEqual(before);
    });

    it("a revoked device (403)", async () => {
      const tenant = await createTenant();
      const device = await posDevice(tenant);
      await api("DELETE", `/v1/pos/devices/${device.id}`, { key: tenant.key });
      const before = await tableCounts();
      const res = await sendBatch(await signBatch(device, batchBody()));
      expect(res.status).toBe(403);
      expect(await tableCounts()).toEqual(before);
    });

    it("a body over the limit (413)", async () => {
      const res = await sendBatch("x".repeat(1024 * 1024 + 1));
      expect(res.status).toBe(413);
    });
  });
});

function batchBody() {
  return {
    batch_id: crypto.randomUUID(),
    signed_at: new Date().toISOString(),
    items: [posItem("off_whatever")],
  };
}

describe("the landing batch under a race", () => {
  it("writes nothing twice when another device lands the same items between our checks and our writes", async () => {
    const tenant = await createTenant();
    const offers = await shop(tenant);
    const [a, b] = [await posDevice(tenant), await posDevice(tenant)];
    const items = Array.from({ length: 4 }, () => posItem(offers.fan));
    const [deviceA, deviceB] = [await deviceRow(a.id), await deviceRow(b.id)];
    const batchOf = (id: string) => ({ batch_id: id, signed_at: new Date().toISOString(), items });
    // Device A lands everything just before device B's landing batch runs (B's third batch call: the
    // first reads the facts, the second enrols the buyers).
    const inventory = inventoryGateway(env.DROP_INVENTORY, db);
    let calls = 0;
    const racing = new Proxy(db, {
      get(target, prop, receiver) {
        if (prop !== "batch") return Reflect.get(target, prop, receiver);
        return async (writes: unknown) => {
          calls += 1;
          if (calls === 3)
            await reconcile(
              { db, inventory, now: Date.now(), creatorId: tenant.creatorId },
              deviceA,
              batchOf("a"),
            );
          return (target.batch as (w: unknown) => Promise<unknown>).call(target, writes);
        };
      },
    });
    const results = await reconcile(
      { db: racing, inventory, now: Date.now(), creatorId: tenant.creatorId },
      deviceB,
      batchOf("b"),
    );
    expect(calls).toBe(3);
    expect(results.map((r) => r.status)).toEqual(Array(4).fill("duplicate"));
    const rows = await rowsFor(tenant);
    expect(rows.orders).toHaveLength(4);
    expect(rows.entitlements).toHaveLength(4);
  });
});

async function deviceRow(id: string): Promise<PosDeviceRow> {
  const [row] = await db.select().from(posDevices).where(eq(posDevices.id, id));
  if (row === undefined) throw new Error(`no device ${id}`);
  return row;
}
