import { afterEach, describe, expect, it, vi } from "vitest";
import { api } from "../../support/api";
import { expectInvariants, inventoryOf, liveDrop, reserveVia, uniqueKey } from "../../support/drops";
import { createTenant } from "../../support/tenants";

const DAY_MS = 24 * 60 * 60 * 1000;
const TTL_S = 60;

/** Moves every clock in this isolate, the drop objects' included, to `at`. */
const clockAt = (at: number) => vi.useFakeTimers({ toFake: ["Date"], now: at });

/** Runs the object's alarm now (expiry and purge), as the runtime would once its time came. */
async function alarmNow(dropId: string) {
  const { runDurableObjectAlarm } = await import("cloudflare:test");
  await runDurableObjectAlarm(inventoryOf(dropId));
}

/** The object torn down and started again from its storage: what a restart loads. */
async function restart(dropId: string) {
  const { evictDurableObject } = await import("cloudflare:test");
  await evictDurableObject(inventoryOf(dropId));
}

/** Rows in the object's holds table, read straight from its SQLite. */
async function storedHolds(dropId: string): Promise<number> {
  const { runInDurableObject } = await import("cloudflare:test");
  return runInDurableObject(inventoryOf(dropId), (_instance, state) =>
    Number(state.storage.sql.exec("SELECT count(*) AS n FROM holds").one().n),
  );
}

const release = (dropId: string, holdId: string, buyer: string) =>
  api("DELETE", `/v1/drops/${dropId}/holds/${holdId}`, { headers: { "buyer-id": buyer } });

describe("oversell: drop object", () => {
  afterEach(() => vi.useRealTimers());

  it("anonymous reserve-then-release cycles leave the drop's object no bigger once 24 hours pass", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 5, hold_ttl_seconds: TTL_S });
    const stub = inventoryOf(dropId);
    const cycles = 40;
    for (let i = 0; i < cycles; i++) {
      const buyer = `churn-buyer-${i}-${uniqueKey()}`;
      const hold = await reserveVia(dropId, { buyer, quantity: 2 });
      expect(hold.status).toBe(201);
      expect((await release(dropId, hold.body.id, buyer)).status).toBe(200);
    }
    // Within the day every released hold is kept (its key still replays), but no buyer's zero total is.
    expect(await storedHolds(dropId)).toBe(cycles);
    expect(await stub.footprint()).toMatchObject({ stored: { "hold:released": cycles }, live: 0, buyers: 0 });
    expect(await stub.selfCheck()).toEqual([]);

    clockAt(Date.now() + DAY_MS + TTL_S * 1000 + 1000); // a day past the last hold's expiry
    await alarmNow(dropId);
    expect(await storedHolds(dropId)).toBe(0);
    const purged = { stored: {}, live: 0, buyers: 0, expiries: 0 };
    expect(await stub.footprint()).toEqual(purged);
    expect(await stub.selfCheck()).toEqual([]);
    await restart(dropId);
    expect(await stub.footprint()).toEqual(purged);
    expect(await expectInvariants(dropId)).toMatchObject({ stock: 5, available: 5, held: 0, sold: 0 });
    expect((await reserveVia(dropId, { quantity: 5 })).status).toBe(201);
  });

  it("churn behind one long-lived hold keeps the object's memory bounded by what is live", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 2, hold_ttl_seconds: 3600 });
    const stub = inventoryOf(dropId);
    const reserve = (buyer: string) =>
      stub.reserve({ buyer, quantity: 1, allowPartial: false, idempotencyKey: uniqueKey() });
    expect(await reserve("anon:stays")).toMatchObject({ ok: true });
    for (let i = 0; i < 150; i++) {
      const made = await reserve(`anon:churn-${i}`);
      if (!made.ok) throw new Error(`reserve refused: ${made.reason}`);
      expect(await stub.release(made.hold.id, `anon:churn-${i}`)).toMatchObject({ ok: true });
    }
    // Each released hold's expiry entry would otherwise wait behind the live one for an hour.
    const { live, buyers, expiries } = await stub.footprint();
    expect({ live, buyers }).toEqual({ live: 1, buyers: 1 });
    expect(expiries).toBeLessThanOrEqual(2 * live + 64);
    expect(await stub.selfCheck()).toEqual([]);
  });

  it("a reserve key replays its hold for 24 hours, and makes a new hold once that hold is forgotten", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 3, hold_ttl_seconds: TTL_S });
    const buyer = `key-buyer-${uniqueKey()}`;
    const start = Date.now();
    const first = await reserveVia(dropId, { buyer, key: "the-key" });
    await release(dropId, first.body.id, buyer);

    clockAt(start + DAY_MS - 60_000);
    const replay = await reserveVia(dropId, { buyer, key: "the-key" });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body).toMatchObject({ id: first.body.id, state: "released" });
    expect(await expectInvariants(dropId)).toMatchObject({ held: 0 });

    // A day past the hold's expiry it is forgotten, purged or not: the key holds afresh, once.
    clockAt(start + DAY_MS + TTL_S * 1000 + 1000);
    const fresh = await reserveVia(dropId, { buyer, key: "the-key" });
    expect(fresh.status).toBe(201);
    expect(fresh.headers.get("idempotent-replayed")).toBeNull();
    expect(fresh.body.id).not.toBe(first.body.id);
    const again = await reserveVia(dropId, { buyer, key: "the-key" });
    expect(again.body.id).toBe(fresh.body.id);
    const forgotten = await api("GET", `/v1/drops/${dropId}/holds/${first.body.id}`, {
      headers: { "buyer-id": buyer },
    });
    expect(forgotten.status).toBe(404);
    await alarmNow(dropId);
    expect((await inventoryOf(dropId).footprint()).stored).toEqual({ "hold:held": 1 });
    expect(await expectInvariants(dropId)).toMatchObject({ held: 1, available: 2 });
  });

  it("a sale outlives the purge: its repeat commit, its key, its restock and its buyer's limit still hold a day later", async () => {
    const dropId = await liveDrop(await createTenant(), {
      stock: 3,
      hold_ttl_seconds: TTL_S,
      per_buyer_limit: 1,
    });
    const stub = inventoryOf(dropId);
    const buyer = `sale-buyer-${uniqueKey()}`;
    const start = Date.now();
    const sold = await reserveVia(dropId, { buyer, key: "bought" });
    expect(await stub.commit(sold.body.id, "ord_kept")).toMatchObject({ ok: true });
    const dropped = await reserveVia(dropId, { key: "dropped" });
    expect(dropped.status).toBe(201); // another buyer's hold, left to expire and be forgotten

    clockAt(start + 2 * DAY_MS);
    await alarmNow(dropId);
    await restart(dropId);
    expect((await stub.footprint()).stored).toEqual({ "hold:committed": 1 });
    expect(await expectInvariants(dropId)).toMatchObject({ sold: 1, held: 0, available: 2 });
    expect(await stub.commit(sold.body.id, "ord_kept")).toMatchObject({
      ok: true,
      hold: { id: sold.body.id },
    });
    expect(await stub.commit(dropped.body.id, "ord_late")).toEqual({ ok: false, reason: "hold_not_found" });
    // The key that bought replays the sale: a late retry never takes a second unit.
    const replay = await reserveVia(dropId, { buyer, key: "bought" });
    expect(replay.body).toMatchObject({ id: sold.body.id, state: "committed" });
    const more = await reserveVia(dropId, { buyer, key: "more" });
    expect(more.body.type).toBe("https://creator-commerce.dev/problems/buyer-limit-reached");
    expect(await stub.restock(sold.body.id, "ord_kept")).toMatchObject({
      ok: true,
      hold: { restocked: true },
    });
    expect(await expectInvariants(dropId)).toMatchObject({ sold: 0, available: 3 });
  });

  it("an allotment that ended a day ago still covers a late offline sale from open stock", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 3 });
    const stub = inventoryOf(dropId);
    const start = Date.now();
    const claim = { buyer: "pos:dev_late", quantity: 2, allowPartial: false, ttlMs: 3_600_000 };
    const claimed = await stub.claim({ ...claim, allotmentId: "alt_late", idempotencyKey: "claim-1" });
    expect(claimed).toMatchObject({ ok: true });
    expect(await stub.release("alt_late", "pos:dev_late")).toMatchObject({ ok: true });

    clockAt(start + 3 * DAY_MS);
    await alarmNow(dropId);
    const sale = {
      allotmentId: "alt_late",
      saleId: "hold_late_sale",
      orderRef: "ord_late_sale",
      quantity: 1,
    };
    expect(await stub.consume([sale])).toMatchObject({ ok: true, outcomes: [{ ok: true, from: "stock" }] });
    expect(await stub.claim({ ...claim, allotmentId: "alt_late", idempotencyKey: "claim-1" })).toMatchObject({
      ok: true,
      replayed: true,
    });
    expect(await expectInvariants(dropId)).toMatchObject({ sold: 1, available: 2 });
  });
});
