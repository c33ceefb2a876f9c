import { describe, expect, it } from "vitest";
import type { BufferedItem } from "../../clients/pos/client";
import { api } from "../support/api";
import { introspect } from "../support/entitlements";
import { posDevice } from "../support/pos";
import { landed, problem, rowsFor, sale, setup, statuses, syncError, wire } from "../support/pos-client";

describe("the POS client against the worker", () => {
  it("buffers enrolments at once and syncs them: members, orders, entitlements and receipt tokens land", async () => {
    const { tenant, offers, storage, client } = await setup();
    const { fetch, batches } = wire();
    const pos = client({ fetch });
    const email = `regular-${crypto.randomUUID()}@example.test`;
    const first = await pos.enqueue(sale(offers.fan, { email }));
    await pos.enqueue(sale(offers.vip, { email }));
    await pos.enqueue(sale(offers.poster, { payment: { method: "card_offline", reference: "rcpt-1" } }));
    expect(first.status).toBe("pending");
    expect(first.item.client_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(first.item.captured_at)).toBeGreaterThan(Date.now() - 60_000);
    // Persisted before any sync: a crash now loses nothing.
    expect(statuses(await storage.load())).toEqual(["pending", "pending", "pending"]);
    // Enqueuing the same client_id again does not buffer it twice.
    await pos.enqueue({ ...sale(offers.fan), client_id: first.item.client_id });
    expect(await pos.pending()).toHaveLength(3);

    expect(await pos.sync()).toEqual({
      batches: 1,
      sent: 3,
      accepted: 3,
      duplicate: 0,
      rejected: 0,
      remaining: 0,
    });
    expect(batches[0]?.event).toBe("spring-market");
    const items = await pos.items();
    expect(statuses(items)).toEqual(["accepted", "accepted", "accepted"]);
    const rows = await rowsFor(tenant);
    expect(rows.members).toHaveLength(2);
    expect(rows.members.find((m) => m.email === email)).toMatchObject({
      tierOfferId: offers.vip,
      acquisitionSource: "pos:spring-market",
    });
    expect(rows.orders.map((o) => o.id).sort()).toEqual(items.map((b) => landed(b)?.order_id).sort());
    expect(rows.entitlements.map((e) => e.id).sort()).toEqual(
      items.flatMap((b) => landed(b)?.entitlement_ids ?? []).sort(),
    );
    const regular = landed(items[1] as BufferedItem);
    expect(regular?.member_id).toBe(landed(items[0] as BufferedItem)?.member_id);
    // Each sale's token is its own receipt: the member's earlier sale is not in it.
    expect([regular?.token?.entitlements, regular?.token?.scope]).toEqual([[offers.vip], "purchase"]);
    expect((await introspect(regular?.token?.token ?? "", tenant.creatorId)).status).toBe(200);
    expect(landed(items[2] as BufferedItem)?.token?.token).toBeTruthy();

    // Nothing pending: a second sync sends nothing; settled items can then be pruned.
    expect(await pos.sync()).toMatchObject({ batches: 0, sent: 0, remaining: 0 });
    expect(batches).toHaveLength(1);
    expect(await pos.prune()).toBe(3);
    expect(await storage.load()).toEqual([]);
  });

  it("resyncs after a crash between the server applying a batch and the client saving: duplicates, nothing doubled", async () => {
    const { tenant, offers, client } = await setup();
    // The worker applies the batch; the response never reaches the app (it dies, or the link drops).
    const lossy = wire(async (call, forward) => {
      const res = await forward();
      if (call === 1) {
        expect(res.status).toBe(200);
        throw new TypeError("Network connection lost");
      }
      return res;
    });
    const before = client({ fetch: lossy.fetch, maxAttempts: 1 });
    for (let i = 0; i < 4; i++) await before.enqueue(sale(i % 2 ? offers.fan : offers.poster));
    const stopped = await syncError(before.sync());
    expect(stopped.reason).toBe("unavailable");
    expect(stopped.summary).toMatchObject({ sent: 0, remaining: 4 });
    expect(await before.pending()).toHaveLength(4);
    const applied = await rowsFor(tenant);
    expect(applied.orders).toHaveLength(4);

    // The app restarts: a new client on the same storage sends the same items again.
    const after = client();
    expect(await after.sync()).toEqual({
      batches: 1,
      sent: 4,
      accepted: 0,
      duplicate: 4,
      rejected: 0,
      remaining: 0,
    });
    const items = await after.items();
    expect(statuses(items)).toEqual(Array(4).fill("duplicate"));
    expect(items.map((b) => landed(b)?.order_id).sort()).toEqual(applied.orders.map((o) => o.id).sort());
    expect(items.every((b) => landed(b)?.token !== undefined)).toBe(true);
    const rows = await rowsFor(tenant);
    expect(rows.orders).toHaveLength(4);
    expect(rows.entitlements).toHaveLength(4);
    expect(rows.members).toHaveLength(4);
    expect(rows.results).toHaveLength(4);
  });

  it("retries a lost response within the same sync, under the same batch_id, and gets the originals back", async () => {
    const { tenant, offers, sleeps, client } = await setup();
    const lossy = wire(async (call, forward) => {
      const res = await forward();
      if (call === 1) throw new TypeError("Network connection lost");
      return res;
    });
    const pos = client({ fetch: lossy.fetch });
    await pos.enqueue(sale(offers.poster));
    await pos.enqueue(sale(offers.fan));
    expect(await pos.sync()).toMatchObject({ batches: 1, accepted: 0, duplicate: 2, remaining: 0 });
    expect(sleeps).toHaveLength(1);
    expect(lossy.batches.map((b) => b.batch_id)).toEqual([
      lossy.batches[0]?.batch_id,
      lossy.batches[0]?.batch_id,
    ]);
    const rows = await rowsFor(tenant);
    expect(rows.orders).toHaveLength(2);
    expect(rows.results.map((r) => r.batchId)).toEqual([
      lossy.batches[0]?.batch_id,
      lossy.batches[0]?.batch_id,
    ]);
  });

  it("retries a 503 and a network failure with growing backoff, signing each attempt anew", async () => {
    const { tenant, offers, sleeps, client } = await setup();
    let clockOffset = 0;
    const flaky = wire(async (call, forward) => {
      if (call === 1) return problem(503, "Temporarily overloaded");
      if (call === 2) throw new TypeError("fetch failed");
      return forward();
    });
    const pos = client({
      fetch: flaky.fetch,
      now: () => Date.now() + clockOffset,
      // The device clock is 10 minutes slow until it resyncs while the app waits to retry: a batch signed
      // once before the retries would be refused as stale (401).
      sleep: async (ms) => {
        sleeps.push(ms);
        clockOffset = 0;
      },
    });
    await pos.enqueue(sale(offers.poster));
    await pos.enqueue(sale(offers.poster));
    clockOffset = -10 * 60_000;
    expect(await pos.sync()).toMatchObject({ batches: 1, accepted: 2, remaining: 0 });
    expect(flaky.batches).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(500);
    expect(sleeps[1]).toBeGreaterThan(sleeps[0] ?? Number.POSITIVE_INFINITY);
    const [signed1, signed3] = [flaky.batches[0]?.signed_at ?? "", flaky.batches[2]?.signed_at ?? ""];
    expect(Date.parse(signed3) - Date.parse(signed1)).toBeGreaterThan(9 * 60_000);
    expect((await rowsFor(tenant)).orders).toHaveLength(2);
  });

  it("gives up after maxAttempts with the items still pending and nothing written", async () => {
    const { tenant, offers, sleeps, client } = await setup();
    const down = wire(async () => problem(502, "Bad gateway"));
    const pos = client({ fetch: down.fetch, maxAttempts: 3 });
    await pos.enqueue(sale(offers.poster));
    const stopped = await syncError(pos.sync());
    expect(stopped.reason).toBe("unavailable");
    expect(stopped.message).toMatch(/3 attempts.*HTTP 502.*stay pending/);
    expect(down.batches).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expect(await pos.pending()).toHaveLength(1);
    expect((await rowsFor(tenant)).orders).toHaveLength(0);
  });

  it("splits more items than maxBatch into several batches, each with its own batch_id", async () => {
    const { tenant, offers, client } = await setup();
    const { fetch, batches } = wire();
    const pos = client({ fetch, maxBatch: 2 });
    for (let i = 0; i < 5; i++) await pos.enqueue(sale(offers.poster));
    expect(await pos.sync()).toEqual({
      batches: 3,
      sent: 5,
      accepted: 5,
      duplicate: 0,
      rejected: 0,
      remaining: 0,
    });
    expect(batches.map((b) => b.items.length)).toEqual([2, 2, 1]);
    expect(new Set(batches.map((b) => b.batch_id)).size).toBe(3);
    const sentIds = batches.flatMap((b) => b.items.map((i) => i.client_id));
    expect(sentIds).toEqual((await pos.items()).map((b) => b.item.client_id));
    expect((await rowsFor(tenant)).orders).toHaveLength(5);
  });

  it("keeps a rejected item with its code and never sends it again", async () => {
    const { tenant, offers, client } = await setup({ max_units_per_transaction: 2 });
    const { fetch, batches } = wire();
    const pos = client({ fetch });
    await pos.enqueue(sale(offers.poster));
    await pos.enqueue(sale("off_nope"));
    await pos.enqueue(sale(offers.poster, { quantity: 3 }));
    expect(await pos.sync()).toMatchObject({ sent: 3, accepted: 1, rejected: 2, remaining: 0 });
    const items = await pos.items();
    expect(items.map((b) => (b.status === "rejected" ? b.code : b.status))).toEqual([
      "accepted",
      "unknown_offer",
      "device_limit_exceeded",
    ]);
    expect(items[1]).toMatchObject({ status: "rejected", message: expect.stringContaining("off_nope") });

    expect(await pos.sync()).toMatchObject({ batches: 0, sent: 0, rejected: 0 });
    expect(batches).toHaveLength(1);
    const next = await pos.enqueue(sale(offers.poster));
    expect(await pos.sync()).toMatchObject({ sent: 1, accepted: 1 });
    expect(batches[1]?.items.map((i) => i.client_id)).toEqual([next.item.client_id]);
    expect(statuses(await pos.items())).toEqual(["accepted", "rejected", "rejected", "accepted"]);
    expect((await rowsFor(tenant)).orders).toHaveLength(2);
  });

  it("stops at a revoked device with a clear error, keeps the items, and another device can send them", async () => {
    const { tenant, offers, device, sleeps, storage, client } = await setup();
    const { fetch, batches } = wire();
    const pos = client({ fetch });
    await pos.enqueue(sale(offers.poster));
    await pos.enqueue(sale(offers.fan));
    expect((await api("DELETE", `/v1/pos/devices/${device.id}`, { key: tenant.key })).status).toBe(200);

    const stopped = await syncError(pos.sync());
    expect(stopped).toMatchObject({ reason: "revoked", status: 403 });
    expect(stopped.message).toMatch(/revoked.*register a new device.*stay pending/);
    expect(stopped.summary).toMatchObject({ sent: 0, remaining: 2 });
    expect(batches).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(statuses(await storage.load())).toEqual(["pending", "pending"]);
    expect((await rowsFor(tenant)).orders).toHaveLength(0);

    const replacement = await posDevice(tenant);
    const moved = client({ deviceId: replacement.id, privateKey: replacement.privateKey });
    expect(await moved.sync()).toMatchObject({ accepted: 2, remaining: 0 });
  });

  it.each([
    ["an unknown device", { deviceId: "dev_unknown" }, undefined, "unauthorized", 401, /register it again/],
    ["a clock 10 minutes slow", { now: () => Date.now() - 600_000 }, undefined, "unauthorized", 401, /clock/],
    [
      "an event name over 100 characters",
      { event: "x".repeat(101) },
      undefined,
      "invalid_batch",
      422,
      /event/,
    ],
    ["a body over the limit", {}, 413, "too_large", 413, /lower maxBatch \(now 500\)/],
    [
      "a wrong baseUrl",
      {},
      404,
      "unexpected",
      404,
      /Check baseUrl \(http:\/\/api\.test\/v1\/pos\/reconcile\)/,
    ],
  ] as const)("stops without retrying at %s", async (_name, options, fakeStatus, reason, status, message) => {
    const { tenant, offers, sleeps, client } = await setup();
    const { fetch, batches } = wire(async (_call, forward) =>
      fakeStatus === undefined ? forward() : problem(fakeStatus, "refused"),
    );
    await client().enqueue(sale(offers.poster));
    const stopped = await syncError(client({ fetch, ...options }).sync());
    expect(stopped).toMatchObject({ reason, status });
    expect(stopped.message).toMatch(message);
    expect(batches).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(await client().pending()).toHaveLength(1);
    expect((await rowsFor(tenant)).orders).toHaveLength(0);
  });

  it("keeps a sale enqueued during a sync, and a second sync() call joins the running one", async () => {
    const { offers, client } = await setup();
    let pos = client();
    let late: Promise<BufferedItem> | undefined;
    const { fetch, batches } = wire(async (call, forward) => {
      if (call === 1) late = pos.enqueue(sale(offers.fan));
      return forward();
    });
    pos = client({ fetch });
    await pos.enqueue(sale(offers.poster));
    const [a, b] = [pos.sync(), pos.sync()];
    expect(b).toBe(a);
    expect(await a).toMatchObject({ accepted: 1, remaining: 1 });
    expect(batches).toHaveLength(1);
    const lateItem = await late;
    expect((await pos.pending()).map((p) => p.item.client_id)).toEqual([lateItem?.item.client_id]);
    expect(await pos.sync()).toMatchObject({ accepted: 1, remaining: 0 });
  });
});
