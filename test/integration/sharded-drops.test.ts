import { env, exports } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { StockMessage } from "../../src/contract/stream";
import { database } from "../../src/db/client";
import { buyerKey } from "../../src/holds/buyer";
import type { DropInventory } from "../../src/inventory/drop-inventory";
import { inventoryGateway } from "../../src/inventory/gateway";
import type { DropTerms } from "../../src/inventory/ledger";
import { shardName, shardOf } from "../../src/inventory/sharding";
import { api } from "../support/api";
import { inventoryOf, liveDrop, reserveVia } from "../support/drops";
import { createTenant, db, type Tenant } from "../support/tenants";

/**
 * Sharded drops in workerd, with the real objects: the drop's own object as coordinator and its shard
 * objects, reached through the worker's routes or its gateway. Every test checks each shard's ledger
 * invariants and that no more units are out, anywhere, than the drop has.
 */
const SHARDS = 4;
/** The key the routes give a buyer-id: what the gateway hashes to a shard. */
const keyOf = (buyerId: string) => buyerKey({ "buyer-id": buyerId });
const shardStub = (dropId: string, shard: number) =>
  env.DROP_INVENTORY.get(
    env.DROP_INVENTORY.idFromName(shardName(dropId, shard)),
  ) as DurableObjectStub<DropInventory>;
const gateway = () => inventoryGateway(env.DROP_INVENTORY, db);
let tenant: Promise<Tenant> | undefined;
/** One creator for the file's drops: the tests are about the objects, not tenancy. */
const creator = (): Promise<Tenant> => {
  tenant ??= createTenant();
  return tenant;
};
const shardedDrop = async (terms: Record<string, unknown>) =>
  liveDrop(await creator(), { shards: SHARDS, ...terms });

/** Every shard's invariants, and the drop's figures from the coordinator's fresh read. */
async function expectSharded(dropId: string, stock: number) {
  let units = 0;
  for (let shard = 0; shard < SHARDS; shard++) {
    const s = shardStub(dropId, shard);
    expect(await s.selfCheck()).toEqual([]);
    const snap = await s.snapshot();
    if (snap === null) throw new Error(`shard ${shard} not configured`);
    units += snap.held + snap.sold;
    // A shard never has more stock than it was granted; together they never exceed the drop.
    expect(snap.available).toBeGreaterThanOrEqual(0);
  }
  const drop = await gateway().snapshot(dropId);
  expect(drop.stock).toBe(stock);
  expect(drop.held + drop.sold).toBe(units);
  expect(drop.available).toBe(stock - units);
  expect(units).toBeLessThanOrEqual(stock);
  return drop;
}

describe("a drop of 4 shards", () => {
  it("sells exactly its stock to 400 buyers reserving at once, across every shard", async () => {
    const dropId = await shardedDrop({ stock: 120 });
    const results = await Promise.all(Array.from({ length: 400 }, () => reserveVia(dropId)));
    const granted = results.filter((r) => r.status === 201);
    expect(granted).toHaveLength(120);
    for (const refused of results.filter((r) => r.status !== 201))
      expect(refused.body.type).toBe("https://creator-commerce.dev/problems/sold-out");
    // Each hold id names the shard that holds it.
    const shards = new Set(granted.map((r) => /-s(\d)$/.exec(r.body.id)?.[1]));
    expect(shards).toEqual(new Set(["0", "1", "2", "3"]));
    expect(await expectSharded(dropId, 120)).toMatchObject({ held: 120, sold: 0, available: 0 });
  }, 60_000);

  it("sells out only when every unit is held: one shard's buyers take the units granted to the others", async () => {
    const dropId = await shardedDrop({ stock: 40 });
    // Buyers who all hash to shard 0: the other shards' first grants must come back to them.
    const buyers = Array.from({ length: 400 }, (_, i) => `buyer-${i}`).filter(
      (b) => shardOf(b, SHARDS) === 0,
    );
    expect(buyers.length).toBeGreaterThanOrEqual(60);
    const results = await Promise.all(buyers.slice(0, 60).map((buyer) => reserveVia(dropId, { buyer })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(40);
    expect(await expectSharded(dropId, 40)).toMatchObject({ held: 40, available: 0 });
  }, 60_000);

  it("keeps each buyer to exactly their limit of 2 out of 12 concurrent reserves, on their own shard", async () => {
    const dropId = await shardedDrop({ stock: 100, per_buyer_limit: 2 });
    const buyers = ["buyer-ann-0001", "buyer-bo-0001", "buyer-cy-0001", "buyer-dee-0001", "buyer-eli-0001"];
    const results = await Promise.all(
      buyers.flatMap((buyer) => Array.from({ length: 12 }, () => reserveVia(dropId, { buyer }))),
    );
    for (const [i] of buyers.entries()) {
      const mine = results.slice(i * 12, i * 12 + 12);
      expect(mine.filter((r) => r.status === 201)).toHaveLength(2);
      for (const r of mine.filter((r) => r.status !== 201))
        expect(r.body.type).toBe("https://creator-commerce.dev/problems/buyer-limit-reached");
    }
    expect(await expectSharded(dropId, 100)).toMatchObject({ held: 10 });
  }, 30_000);

  it("routes commit, extend, restock and release to the hold's own shard", async () => {
    const dropId = await shardedDrop({ stock: 20, restock_on_refund: true });
    const a = await reserveVia(dropId, { buyer: "buyer-ann-0001", quantity: 2 });
    const b = await reserveVia(dropId, { buyer: "buyer-bo-0001", quantity: 3 });
    expect([a.status, b.status]).toEqual([201, 201]);
    const g = gateway();
    expect(await g.extend(dropId, a.body.id, keyOf("buyer-ann-0001"))).toMatchObject({
      ok: true,
      hold: { extended: true },
    });
    expect(await g.commit(dropId, a.body.id, "ord_a")).toMatchObject({
      ok: true,
      hold: { state: "committed" },
    });
    expect(await g.commit(dropId, a.body.id, "ord_a")).toMatchObject({ ok: true }); // replayed, same order
    expect(await expectSharded(dropId, 20)).toMatchObject({ held: 3, sold: 2 });
    expect(await g.restock(dropId, a.body.id, "ord_a")).toMatchObject({
      ok: true,
      hold: { restocked: true },
    });
    const released = await api("DELETE", `/v1/drops/${dropId}/holds/${b.body.id}`, {
      headers: { "buyer-id": "buyer-bo-0001" },
    });
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ state: "released" });
    expect(await expectSharded(dropId, 20)).toMatchObject({ held: 0, sold: 0, available: 20 });
  }, 30_000);

  it("answers 404 for a made-up hold id, a shard the drop does not have, or another buyer's hold", async () => {
    const dropId = await shardedDrop({ stock: 10 });
    const a = await reserveVia(dropId, { buyer: "buyer-ann-0001" });
    const otherShard = (Number(/-s(\d)$/.exec(a.body.id)?.[1]) + 1) % SHARDS;
    const forged = [
      "hld_made_up",
      `${a.body.id.replace(/-s\d$/, "")}-s${otherShard}`,
      `${a.body.id.replace(/-s\d$/, "")}-s9`,
      `${a.body.id.replace(/-s\d$/, "")}-s63`,
    ];
    for (const id of forged) {
      const read = await api("GET", `/v1/drops/${dropId}/holds/${id}`, {
        headers: { "buyer-id": "buyer-ann-0001" },
      });
      expect(read.status, id).toBe(404);
      expect(await gateway().commit(dropId, id, "ord_x")).toEqual({ ok: false, reason: "hold_not_found" });
    }
    // Bo reaches only his own shard's holds: Ann's hold is not there for him, read or release.
    for (const method of ["GET", "DELETE"] as const) {
      const res = await api(method, `/v1/drops/${dropId}/holds/${a.body.id}`, {
        headers: { "buyer-id": "buyer-bo-0001" },
      });
      expect(res.status).toBe(404);
    }
    expect(await expectSharded(dropId, 10)).toMatchObject({ held: 1 });
  }, 30_000);

  it("expires holds back to their shard, where the next buyer gets them", async () => {
    const { runDurableObjectAlarm } = await import("cloudflare:test");
    const dropId = `drp_shexp_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
    const terms: DropTerms = {
      stock: 8,
      startsAt: 0,
      endsAt: null,
      perBuyerLimit: null,
      holdTtlMs: 300,
      closed: false,
    };
    await inventoryOf(dropId).configure(terms, { dropId, shards: SHARDS });
    // A fresh gateway (a new isolate's): the drop is vouched for, so its shard count is learned.
    const g = inventoryGateway(env.DROP_INVENTORY, database(env.DB));
    g.vouch(dropId);
    const held = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        g.reserve(dropId, { buyer: `b${i}`, quantity: 1, allowPartial: false, idempotencyKey: `k${i}` }),
      ),
    );
    expect(held.filter((r) => r.ok)).toHaveLength(8);
    expect(
      await g.reserve(dropId, { buyer: "late", quantity: 1, allowPartial: false, idempotencyKey: "k" }),
    ).toEqual({
      ok: false,
      reason: "sold_out",
    });
    await new Promise((resolve) => setTimeout(resolve, 350));
    for (let shard = 0; shard < SHARDS; shard++) await runDurableObjectAlarm(shardStub(dropId, shard));
    expect(await g.snapshot(dropId)).toMatchObject({ held: 0, available: 8 });
    const again = await g.reserve(dropId, {
      buyer: "late",
      quantity: 1,
      allowPartial: false,
      idempotencyKey: "k2",
    });
    expect(again).toMatchObject({ ok: true });
  }, 30_000);

  it("claims and consumes a device's allotment on the shard its id names", async () => {
    const dropId = await shardedDrop({ stock: 12 });
    const g = gateway();
    const allotmentId = `alt_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
    const claim = { allotmentId, buyer: "pos:dev_1", quantity: 5, allowPartial: false, ttlMs: 3_600_000 };
    const claimed = await g.claim(dropId, { ...claim, idempotencyKey: "c1" });
    expect(claimed).toMatchObject({ ok: true, hold: { id: allotmentId, kind: "allotment", quantity: 5 } });
    expect(await g.claim(dropId, { ...claim, idempotencyKey: "c1" })).toMatchObject({
      ok: true,
      replayed: true,
    });
    const sales = [
      { allotmentId, saleId: "hold_sale1", orderRef: "ord_s1", quantity: 2 },
      { allotmentId, saleId: "hold_sale2", orderRef: "ord_s2", quantity: 1 },
    ];
    const consumed = await g.consume(dropId, sales);
    expect(consumed.outcomes).toMatchObject([
      { ok: true, from: "allotment", replayed: false },
      { ok: true, from: "allotment", replayed: false },
    ]);
    const saleId = (consumed.outcomes[0] as { sale: { id: string } }).sale.id;
    expect(saleId).toMatch(/^hold_sale1-s\d$/);
    // A replay lands on the same shard and finds the same sale; a refund finds it by its id.
    expect((await g.consume(dropId, sales)).outcomes).toMatchObject([{ replayed: true }, { replayed: true }]);
    expect(await g.allotment(dropId, allotmentId)).toMatchObject({ consumed: 3 });
    expect(await g.restock(dropId, saleId, "ord_s1")).toMatchObject({ ok: true });
    expect(await expectSharded(dropId, 12)).toMatchObject({ held: 2, sold: 1 });
  }, 30_000);

  it("shrinks stock only to what the shards hold and sold, and closes every shard", async () => {
    const dropId = await shardedDrop({ stock: 50 });
    const key = await creator();
    const holds = await Promise.all(Array.from({ length: 10 }, () => reserveVia(dropId)));
    expect(holds.filter((r) => r.status === 201)).toHaveLength(10);
    const tooLow = await api("PATCH", `/v1/drops/${dropId}`, { key: key.key, body: { stock: 9 } });
    expect(tooLow.status).toBe(409);
    const shrunk = await api("PATCH", `/v1/drops/${dropId}`, { key: key.key, body: { stock: 10 } });
    expect(shrunk.status).toBe(200);
    expect(await expectSharded(dropId, 10)).toMatchObject({ held: 10, available: 0 });
    expect((await reserveVia(dropId)).body.type).toBe("https://creator-commerce.dev/problems/sold-out");
    const grown = await api("PATCH", `/v1/drops/${dropId}`, { key: key.key, body: { stock: 30 } });
    expect(grown.status).toBe(200);
    expect((await reserveVia(dropId)).status).toBe(201);
    await api("PATCH", `/v1/drops/${dropId}`, { key: key.key, body: { state: "closed" } });
    for (let i = 0; i < 8; i++)
      expect((await reserveVia(dropId)).body.type).toBe("https://creator-commerce.dev/problems/drop-ended");
    expect(await expectSharded(dropId, 30)).toMatchObject({ held: 11, phase: "closed" });
  }, 30_000);

  it("streams one aggregated stock to viewers, its seq rising with every change the shards report", async () => {
    const dropId = await shardedDrop({ stock: 30 });
    const res = await exports.default.fetch(`http://api.test/v1/drops/${dropId}/stream`, {
      headers: { upgrade: "websocket" },
    });
    expect(res.status).toBe(101);
    const ws = res.webSocket;
    if (ws === null) throw new Error("no socket");
    ws.accept();
    const messages: StockMessage[] = [];
    ws.addEventListener("message", (e) => {
      if (e.data !== "pong") messages.push(JSON.parse(String(e.data)));
    });
    await vi.waitFor(() => expect(messages.length).toBeGreaterThan(0), { timeout: 5000 });
    const results = await Promise.all(Array.from({ length: 12 }, () => reserveVia(dropId)));
    expect(results.every((r) => r.status === 201)).toBe(true);
    const last = await vi.waitFor(
      () => {
        const hit = messages.find((m) => m.held === 12);
        if (!hit) throw new Error(`held so far ${messages.map((m) => m.held)}`);
        return hit;
      },
      { timeout: 10_000, interval: 20 },
    );
    expect(last).toMatchObject({ stock: 30, available: 18, held: 12, holds_total: 12 });
    for (let i = 1; i < messages.length; i++) {
      expect((messages[i] as StockMessage).seq).toBeGreaterThan((messages[i - 1] as StockMessage).seq);
    }
    ws.close();
    const stock = await api("GET", `/v1/drops/${dropId}/stock`);
    expect(stock.body).toMatchObject({ stock: 30, held: 12, available: 18 });
  }, 30_000);

  it("costs an unsharded drop nothing: no shard object is ever configured for it", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 5 });
    expect((await reserveVia(dropId)).body.id).not.toMatch(/-s\d+$/);
    expect(await inventoryOf(dropId).shardCount()).toBe(1);
    expect(await shardStub(dropId, 0).snapshot()).toBeNull();
  });
});

describe("holds per buyer per minute", () => {
  it.each([1, SHARDS])(
    "stops a script minting holds for one buyer at 20 a minute, with Retry-After (%i shard(s))",
    async (shards) => {
      const dropId = await liveDrop(await creator(), { stock: 100, shards });
      const buyer = "buyer-minting-script";
      for (let i = 0; i < 20; i++) expect((await reserveVia(dropId, { buyer })).status).toBe(201);
      const refused = await reserveVia(dropId, { buyer });
      expect(refused.status).toBe(429);
      expect(refused.body.type).toBe("https://creator-commerce.dev/problems/rate-limited");
      const wait = Number(refused.headers.get("retry-after"));
      expect(wait).toBeGreaterThanOrEqual(1);
      expect(wait).toBeLessThanOrEqual(60);
      // Exact per buyer: anyone else still holds at once, and nothing was held for the refusal.
      expect((await reserveVia(dropId)).status).toBe(201);
      expect(await gateway().snapshot(dropId)).toMatchObject({ held: 21 });
    },
    30_000,
  );
});
