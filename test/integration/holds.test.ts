import { describe, expect, it, vi } from "vitest";
import type { DropInventory } from "../../src/inventory/drop-inventory";
import { api } from "../support/api";
import { expectInvariants, inventoryOf, liveDrop, reserveVia, uniqueKey } from "../support/drops";
import { createTenant, tableCounts } from "../support/tenants";

describe("POST /v1/drops/{id}/holds under a burst", () => {
  it.each([0, 1, 99, 100, 101])(
    "gives exactly min(500, %i) holds to 500 concurrent buyers",
    async (stock) => {
      const dropId = await liveDrop(await createTenant(), { stock });
      const results = await Promise.all(Array.from({ length: 500 }, () => reserveVia(dropId)));
      const granted = results.filter((r) => r.status === 201);
      expect(granted).toHaveLength(Math.min(500, stock));
      expect(new Set(granted.map((r) => r.body.id)).size).toBe(granted.length);
      for (const refused of results.filter((r) => r.status !== 201)) {
        expect(refused.status).toBe(409);
        expect(refused.body.type).toBe("https://creator-commerce.dev/problems/sold-out");
      }
      expect(await expectInvariants(dropId)).toMatchObject({ stock, held: Math.min(500, stock), sold: 0 });
    },
    // 500 requests through one object on a shared 2-core machine: seconds, not milliseconds.
    20_000,
  );

  it("gives one buyer exactly their limit of 2 out of 50 concurrent reserves", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 100, per_buyer_limit: 2 });
    const results = await Promise.all(
      Array.from({ length: 50 }, () => reserveVia(dropId, { buyer: "one-eager-buyer" })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(2);
    const refusals = results.filter((r) => r.status !== 201);
    expect(new Set(refusals.map((r) => r.body.type))).toEqual(
      new Set(["https://creator-commerce.dev/problems/buyer-limit-reached"]),
    );
    expect(await expectInvariants(dropId)).toMatchObject({ held: 2, available: 98 });
  });
});

describe("POST /v1/drops/{id}/holds", () => {
  it("returns a hold that expires after the drop's hold TTL", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 5, hold_ttl_seconds: 120 });
    const res = await reserveVia(dropId, { quantity: 2 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      object: "hold",
      drop_id: dropId,
      quantity: 2,
      state: "held",
      extended: false,
    });
    expect(Date.parse(res.body.expires_at) - Date.parse(res.body.created_at)).toBe(120_000);
    expect(await expectInvariants(dropId)).toMatchObject({ held: 2, available: 3 });
  });

  it("refuses more than is left, unless a partial hold is allowed", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 3 });
    const refused = await reserveVia(dropId, { quantity: 5 });
    expect(refused).toMatchObject({
      status: 409,
      body: { type: "https://creator-commerce.dev/problems/insufficient-stock" },
    });
    const partial = await reserveVia(dropId, { quantity: 5, allowPartial: true });
    expect(partial).toMatchObject({ status: 201, body: { quantity: 3 } });
    await expectInvariants(dropId);
  });

  it("refuses a drop that has not started, and one the creator closed", async () => {
    const tenant = await createTenant();
    const later = await liveDrop(tenant, {
      stock: 3,
      starts_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect((await reserveVia(later)).body.type).toBe(
      "https://creator-commerce.dev/problems/drop-not-started",
    );
    const closed = await liveDrop(tenant, { stock: 3 });
    await api("PATCH", `/v1/drops/${closed}`, { key: tenant.key, body: { state: "closed" } });
    expect((await reserveVia(closed)).body.type).toBe("https://creator-commerce.dev/problems/drop-ended");
  });

  it("answers 404 for a drop that does not exist", async () => {
    const res = await reserveVia("drp_nowhere");
    expect(res.status).toBe(404);
  });
});

describe("idempotent reserve", () => {
  it("returns the same hold for the same key and request, holding stock once", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 5 });
    const first = await reserveVia(dropId, { buyer: "buyer-same-key", key: "same", quantity: 2 });
    const again = await reserveVia(dropId, { buyer: "buyer-same-key", key: "same", quantity: 2 });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await expectInvariants(dropId)).toMatchObject({ held: 2 });
  });

  it("answers 422 for the same key with a different request", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 5 });
    await reserveVia(dropId, { buyer: "buyer-same-key", key: "same", quantity: 1 });
    const res = await reserveVia(dropId, { buyer: "buyer-same-key", key: "same", quantity: 2 });
    expect(res).toMatchObject({
      status: 422,
      body: { type: "https://creator-commerce.dev/problems/idempotency-key-reused" },
    });
    expect(await expectInvariants(dropId)).toMatchObject({ held: 1 });
  });

  it("answers 409 to a repeat that arrives while the first is still committing", async () => {
    const { runInDurableObject } = await import("cloudflare:test");
    const dropId = await liveDrop(await createTenant(), { stock: 5 });
    const call = (key: string) => ({
      buyer: "anon:buyer-in-flight",
      quantity: 1,
      allowPartial: false,
      idempotencyKey: key,
    });
    // Three calls in one tick: the first starts a commit, the other two queue behind it as one batch,
    // in which the repeat finds its key applied but not yet durable.
    const results = await runInDurableObject(inventoryOf(dropId), (instance: DropInventory) =>
      Promise.all([
        instance.reserve(call("other")),
        instance.reserve(call("twice")),
        instance.reserve(call("twice")),
      ]),
    );
    expect(results.map((r) => (r.ok ? "ok" : r.reason))).toEqual(["ok", "ok", "idempotency_in_flight"]);
    expect(await expectInvariants(dropId)).toMatchObject({ held: 2 });
    // Once durable, the same key replays the hold, and over HTTP an in-flight repeat is a 409 problem.
    const replay = await reserveVia(dropId, { buyer: "buyer-in-flight", key: "twice" });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
  });

  it("never holds twice for one key, however the repeats race over HTTP", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 5 });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => reserveVia(dropId, { buyer: "buyer-racing", key: "once" })),
    );
    const ids = new Set(results.filter((r) => r.status === 201).map((r) => r.body.id));
    expect(ids.size).toBe(1);
    for (const r of results.filter((r) => r.status !== 201)) {
      expect(r).toMatchObject({
        status: 409,
        body: { type: "https://creator-commerce.dev/problems/idempotency-in-flight" },
      });
      expect(r.headers.get("retry-after")).toBe("1");
    }
    expect(await expectInvariants(dropId)).toMatchObject({ held: 1 });
  });

  it("scopes keys to the buyer", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 5 });
    const a = await reserveVia(dropId, { buyer: "buyer-aaaa", key: "shared" });
    const b = await reserveVia(dropId, { buyer: "buyer-bbbb", key: "shared" });
    expect(a.body.id).not.toBe(b.body.id);
  });
});

describe("bad input to POST /v1/drops/{id}/holds", () => {
  const json = { "content-type": "application/json" };
  it.each<[string, Record<string, string>, string | undefined, number, string]>([
    [
      "no Idempotency-Key",
      { "buyer-id": "buyer-12345678", ...json },
      '{"quantity":1}',
      400,
      "idempotency-key-required",
    ],
    [
      "an empty Idempotency-Key",
      { "buyer-id": "buyer-12345678", "idempotency-key": "", ...json },
      '{"quantity":1}',
      400,
      "idempotency-key-invalid",
    ],
    ["no Buyer-Id", { "idempotency-key": "k1", ...json }, '{"quantity":1}', 422, "validation-failed"],
    [
      "a Buyer-Id with spaces",
      { "buyer-id": "not a valid id", "idempotency-key": "k1", ...json },
      '{"quantity":1}',
      422,
      "validation-failed",
    ],
    [
      "malformed JSON",
      { "buyer-id": "buyer-12345678", "idempotency-key": "k1", ...json },
      '{"quantity":',
      400,
      "malformed-request",
    ],
    [
      "a zero quantity",
      { "buyer-id": "buyer-12345678", "idempotency-key": "k1", ...json },
      '{"quantity":0}',
      422,
      "validation-failed",
    ],
    [
      "a quantity as a string",
      { "buyer-id": "buyer-12345678", "idempotency-key": "k1", ...json },
      '{"quantity":"1"}',
      422,
      "validation-failed",
    ],
    [
      "an unknown field",
      { "buyer-id": "buyer-12345678", "idempotency-key": "k1", ...json },
      '{"quantity":1,"price":0}',
      422,
      "validation-failed",
    ],
    [
      "a form body",
      { "buyer-id": "buyer-12345678", "idempotency-key": "k1", "content-type": "text/plain" },
      "quantity=1",
      415,
      "unsupported-media-type",
    ],
    [
      "a body over 64 KiB",
      { "buyer-id": "buyer-12345678", "idempotency-key": "k1", ...json },
      `{"quantity":1,"pad":"${"x".repeat(70_000)}"}`,
      413,
      "payload-too-large",
    ],
  ])("refuses %s and leaves stock untouched", async (_name, headers, raw, status, type) => {
    const dropId = await liveDrop(await createTenant(), { stock: 10 });
    const before = await tableCounts();
    const res = await api("POST", `/v1/drops/${dropId}/holds`, { headers, raw });
    expect(res.status).toBe(status);
    expect(res.body.type).toBe(`https://creator-commerce.dev/problems/${type}`);
    expect(await expectInvariants(dropId)).toMatchObject({ held: 0, available: 10 });
    expect(await tableCounts()).toEqual(before);
  });
});

describe("GET and DELETE /v1/drops/{id}/holds/{holdId}", () => {
  it("shows a hold only to the buyer who holds it", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 5 });
    const hold = (await reserveVia(dropId, { buyer: "buyer-owner-1" })).body;
    const mine = await api("GET", `/v1/drops/${dropId}/holds/${hold.id}`, {
      headers: { "buyer-id": "buyer-owner-1" },
    });
    expect(mine.body).toEqual(hold);
    const theirs = await api("GET", `/v1/drops/${dropId}/holds/${hold.id}`, {
      headers: { "buyer-id": "buyer-someone-else" },
    });
    expect(theirs.status).toBe(404);
    const elsewhere = await api("GET", `/v1/drops/drp_other/holds/${hold.id}`, {
      headers: { "buyer-id": "buyer-owner-1" },
    });
    expect(elsewhere.status).toBe(404);
  });

  it("releases a hold at once, and answers the same on a second release", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 5 });
    const hold = (await reserveVia(dropId, { buyer: "buyer-owner-2", quantity: 3 })).body;
    const stranger = await api("DELETE", `/v1/drops/${dropId}/holds/${hold.id}`, {
      headers: { "buyer-id": "buyer-someone-else" },
    });
    expect(stranger.status).toBe(404);
    expect(await expectInvariants(dropId)).toMatchObject({ held: 3 });
    const released = await api("DELETE", `/v1/drops/${dropId}/holds/${hold.id}`, {
      headers: { "buyer-id": "buyer-owner-2" },
    });
    expect(released.body).toMatchObject({ id: hold.id, state: "released" });
    expect(await expectInvariants(dropId)).toMatchObject({ held: 0, available: 5 });
    const again = await api("DELETE", `/v1/drops/${dropId}/holds/${hold.id}`, {
      headers: { "buyer-id": "buyer-owner-2" },
    });
    expect(again.body).toEqual(released.body);
  });

  it("refuses to release a hold that was committed to an order", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 5 });
    const hold = (await reserveVia(dropId, { buyer: "buyer-owner-3" })).body;
    expect(await inventoryOf(dropId).commit(hold.id, "ord_1")).toMatchObject({ ok: true });
    const res = await api("DELETE", `/v1/drops/${dropId}/holds/${hold.id}`, {
      headers: { "buyer-id": "buyer-owner-3" },
    });
    expect(res).toMatchObject({
      status: 409,
      body: { type: "https://creator-commerce.dev/problems/hold-committed" },
    });
    expect(await expectInvariants(dropId)).toMatchObject({ held: 0, sold: 1 });
  });
});

describe("GET /v1/drops/{id}/stock", () => {
  it("is public, states its age, and reflects holds within the cache bound", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 10 });
    const first = await api("GET", `/v1/drops/${dropId}/stock`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      object: "stock",
      drop_id: dropId,
      stock: 10,
      available: 10,
      held: 0,
      sold: 0,
      phase: "live",
    });
    expect(first.headers.get("cache-control")).toBe("public, max-age=1");
    expect(first.headers.get("age")).toBe("0");
    await reserveVia(dropId, { quantity: 4 });
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    const later = await api("GET", `/v1/drops/${dropId}/stock`);
    expect(later.body).toMatchObject({ available: 6, held: 4 });
  });

  it("answers 404 for an unknown drop, and for an id that is not a drop id without waking an object", async () => {
    const { listDurableObjectIds } = await import("cloudflare:test");
    const { env } = await import("cloudflare:workers");
    expect((await api("GET", "/v1/drops/drp_unknown/stock")).status).toBe(404);
    const before = (await listDurableObjectIds(env.DROP_INVENTORY)).length;
    for (const junk of ["off_notadrop", "DRP_UPPER", "drp_", "x".repeat(80)]) {
      expect((await api("GET", `/v1/drops/${junk}/stock`)).status).toBe(404);
    }
    expect((await listDurableObjectIds(env.DROP_INVENTORY)).length).toBe(before);
  });

  it("configures a drop's object from D1 when it missed its creation", async () => {
    const tenant = await createTenant();
    const dropId = await liveDrop(tenant, { stock: 7 });
    // A drop whose object never heard of it: the same row under a fresh id, written straight to D1.
    const { db } = await import("../support/tenants");
    const { drops } = await import("../../src/db/schema");
    const { eq } = await import("drizzle-orm");
    const [row] = await db.select().from(drops).where(eq(drops.id, dropId));
    if (!row) throw new Error("drop row missing");
    await db.insert(drops).values({ ...row, id: "drp_missed_its_object" });
    const res = await api("GET", "/v1/drops/drp_missed_its_object/stock");
    expect(res.body).toMatchObject({ stock: 7, available: 7 });
  });
});

describe("the drop object itself", () => {
  const terms = (overrides = {}) => ({
    stock: 10,
    startsAt: 0,
    endsAt: null,
    perBuyerLimit: null,
    holdTtlMs: 50,
    closed: false,
    ...overrides,
  });

  it("expires holds by alarm, returning their units, and shrugs off a repeated alarm", async () => {
    const { runDurableObjectAlarm, runInDurableObject } = await import("cloudflare:test");
    const stub = inventoryOf(`drp_alarm_${uniqueKey()}`);
    await stub.configure(terms({ holdTtlMs: 200 }));
    const reserved = await stub.reserve({
      buyer: "b",
      quantity: 3,
      allowPartial: false,
      idempotencyKey: "k",
    });
    if (!reserved.ok) throw new Error(`reserve refused: ${reserved.reason}`);
    expect(await stub.snapshot()).toMatchObject({ available: 7 });
    await new Promise((resolve) => setTimeout(resolve, 250));
    await runDurableObjectAlarm(stub); // the runtime may already have fired it; either way it has run now
    expect(await stub.selfCheck()).toEqual([]);
    expect(
      await runInDurableObject(stub, (_i, state) => state.storage.sql.exec("SELECT state FROM holds").one()),
    ).toEqual({
      state: "expired",
    });
    expect(await stub.hold(reserved.hold.id, "b")).toMatchObject({ state: "expired" });
    expect(await stub.snapshot()).toMatchObject({ available: 10, held: 0 });
    // Delivered again, and again: nothing changes.
    await runInDurableObject(stub, async (instance: DropInventory) => {
      await instance.alarm();
      await instance.alarm();
    });
    expect(await stub.snapshot()).toMatchObject({ available: 10, held: 0 });
    expect(await stub.selfCheck()).toEqual([]);
    expect(await stub.commit(reserved.hold.id, "ord_late")).toMatchObject({
      ok: false,
      reason: "hold_expired",
    });
  });

  it("keeps the alarm at the earliest live hold", async () => {
    const { runInDurableObject } = await import("cloudflare:test");
    const stub = inventoryOf(`drp_alarm_${uniqueKey()}`);
    await stub.configure(terms({ holdTtlMs: 60_000 }));
    const first = await stub.reserve({ buyer: "b", quantity: 1, allowPartial: false, idempotencyKey: "k1" });
    await stub.reserve({ buyer: "c", quantity: 1, allowPartial: false, idempotencyKey: "k2" });
    const alarm = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(first).toMatchObject({ ok: true });
    expect(alarm).toBe((first as { hold: { expiresAt: number } }).hold.expiresAt);
  });

  it("keeps its state and reserve keys across eviction", async () => {
    const { evictDurableObject } = await import("cloudflare:test");
    const stub = inventoryOf(`drp_evict_${uniqueKey()}`);
    await stub.configure(terms({ holdTtlMs: 60_000, perBuyerLimit: 2 }));
    const held = await stub.reserve({ buyer: "b", quantity: 2, allowPartial: false, idempotencyKey: "k" });
    await stub.reserve({ buyer: "c", quantity: 1, allowPartial: false, idempotencyKey: "k" });
    await stub.commit((held as { hold: { id: string } }).hold.id, "ord_1");
    await evictDurableObject(stub);
    const after = inventoryOf(`drp_evict_unused`); // a different object is untouched by the eviction
    expect(await after.snapshot()).toBeNull();
    expect(await stub.snapshot()).toMatchObject({ stock: 10, sold: 2, held: 1, available: 7 });
    expect(
      await stub.reserve({ buyer: "b", quantity: 2, allowPartial: false, idempotencyKey: "k" }),
    ).toMatchObject({ ok: true, replayed: true });
    expect(
      await stub.reserve({ buyer: "b", quantity: 1, allowPartial: false, idempotencyKey: "k2" }),
    ).toMatchObject({ ok: false, reason: "buyer_limit_reached" });
    expect(await stub.selfCheck()).toEqual([]);
  });

  it("brings an object stored before keys could lapse up to date: a forgotten key holds afresh", async () => {
    const { evictDurableObject, runDurableObjectAlarm, runInDurableObject } = await import("cloudflare:test");
    const stub = inventoryOf(`drp_legacy_${uniqueKey()}`);
    const twoDaysAgo = Date.now() - 2 * 24 * 3600_000;
    // The tables as the previous release made them: one hold per (buyer, key), for ever.
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec(`
        CREATE TABLE terms (id INTEGER PRIMARY KEY CHECK (id = 1), stock INTEGER NOT NULL, starts_at INTEGER NOT NULL,
          ends_at INTEGER, per_buyer_limit INTEGER, hold_ttl_ms INTEGER NOT NULL, closed INTEGER NOT NULL);
        CREATE TABLE holds (id TEXT PRIMARY KEY, buyer TEXT NOT NULL, quantity INTEGER NOT NULL, created_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL, state TEXT NOT NULL, order_ref TEXT, extended INTEGER NOT NULL,
          restocked INTEGER NOT NULL DEFAULT 0, kind TEXT NOT NULL DEFAULT 'hold', consumed INTEGER NOT NULL DEFAULT 0,
          reserve_key TEXT NOT NULL, request TEXT NOT NULL);
        CREATE UNIQUE INDEX holds_reserve_key ON holds (buyer, reserve_key);
        INSERT INTO terms VALUES (1, 5, 0, NULL, NULL, 60000, 0);`);
      state.storage.sql.exec(
        `INSERT INTO holds (id, buyer, quantity, created_at, expires_at, state, extended, reserve_key, request)
         VALUES ('hld_old', 'anon:b', 1, ?, ?, 'released', 0, 'k', '1:false')`,
        twoDaysAgo,
        twoDaysAgo + 60_000,
      );
    });
    await evictDurableObject(stub);
    const call = { buyer: "anon:b", quantity: 1, allowPartial: false, idempotencyKey: "k" };
    const fresh = await stub.reserve(call);
    expect(fresh).toMatchObject({ ok: true, replayed: false });
    expect(await stub.reserve(call)).toMatchObject({ ok: true, replayed: true });
    await runDurableObjectAlarm(stub);
    expect((await stub.footprint()).stored).toEqual({ "hold:held": 1 });
    const indexes = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql
        .exec("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'holds'")
        .toArray(),
    );
    expect(indexes.map((i) => i.name).sort()).toEqual([
      "holds_by_key",
      "holds_ended",
      "sqlite_autoindex_holds_1",
    ]);
    expect(await stub.selfCheck()).toEqual([]);
  });

  it("purges a backlog of forgotten holds a bounded batch per alarm, and comes straight back for the rest", async () => {
    const { runDurableObjectAlarm, runInDurableObject } = await import("cloudflare:test");
    const stub = inventoryOf(`drp_backlog_${uniqueKey()}`);
    await stub.configure(terms({ holdTtlMs: 60_000 }));
    for (let i = 0; i < 10; i++) {
      const made = await stub.reserve({
        buyer: `b${i}`,
        quantity: 1,
        allowPartial: false,
        idempotencyKey: "k",
      });
      if (made.ok) await stub.release(made.hold.id, `b${i}`);
    }
    await runInDurableObject(stub, (instance: { purgeBatch: number }) => {
      instance.purgeBatch = 4;
    });
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 24 * 3600_000 + 120_000 });
    try {
      const left: number[] = [];
      for (let round = 0; round < 3; round++) {
        await runDurableObjectAlarm(stub);
        left.push((await stub.footprint()).stored["hold:released"] ?? 0);
        // Whatever is left is already due, so an alarm is set for it: nothing waits a day more.
        expect(await stub.selfCheck()).toEqual([]);
      }
      expect(left).toEqual([6, 2, 0]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("answers 503 with Retry-After, not 500 and not a hang, when its queue is full", async () => {
    const { runInDurableObject } = await import("cloudflare:test");
    const dropId = await liveDrop(await createTenant(), { stock: 1000 });
    await runInDurableObject(inventoryOf(dropId), (instance: { queueLimit: number }) => {
      instance.queueLimit = 2;
    });
    const results = await Promise.all(Array.from({ length: 30 }, () => reserveVia(dropId)));
    const statuses = new Set(results.map((r) => r.status));
    expect([...statuses].sort()).toEqual([201, 503]);
    const overloaded = results.find((r) => r.status === 503);
    expect(overloaded?.body.type).toBe("https://creator-commerce.dev/problems/overloaded");
    expect(overloaded?.headers.get("retry-after")).toBe("1");
    const snapshot = await expectInvariants(dropId);
    expect(snapshot.held).toBe(results.filter((r) => r.status === 201).length);
  });

  it("answers 503 to reserves that waited in its queue past the bound, holding nothing for them", async () => {
    const { runInDurableObject } = await import("cloudflare:test");
    const dropId = await liveDrop(await createTenant(), { stock: 10 });
    await runInDurableObject(inventoryOf(dropId), (instance: { queueWaitLimitMs: number }) => {
      instance.queueWaitLimitMs = -1; // every queued reserve now counts as having waited too long
    });
    const results = await Promise.all(Array.from({ length: 5 }, () => reserveVia(dropId)));
    for (const r of results) {
      expect(r).toMatchObject({
        status: 503,
        body: { type: "https://creator-commerce.dev/problems/overloaded" },
      });
      expect(r.headers.get("retry-after")).toBe("1");
    }
    expect(await expectInvariants(dropId)).toMatchObject({ held: 0, available: 10 });
  });

  it("lets admins add stock and reduce it only down to what is held or sold", async () => {
    const tenant = await createTenant();
    const dropId = await liveDrop(tenant, { stock: 5 });
    await reserveVia(dropId, { quantity: 3 });
    const tooLow = await api("PATCH", `/v1/drops/${dropId}`, { key: tenant.key, body: { stock: 2 } });
    expect(tooLow).toMatchObject({
      status: 409,
      body: { type: "https://creator-commerce.dev/problems/conflict" },
    });
    expect(await expectInvariants(dropId)).toMatchObject({ stock: 5 });
    await api("PATCH", `/v1/drops/${dropId}`, { key: tenant.key, body: { stock: 3 } });
    expect(await expectInvariants(dropId)).toMatchObject({ stock: 3, available: 0 });
    await api("PATCH", `/v1/drops/${dropId}`, { key: tenant.key, body: { stock: 50 } });
    expect(await expectInvariants(dropId)).toMatchObject({ stock: 50, available: 47 });
  });
});
