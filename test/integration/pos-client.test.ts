import { exports } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { base64url } from "jose";
import { describe, expect, it } from "vitest";
import { entitlements, members, orders, posAllotments, posItemResults } from "../../src/db/schema";
import {
  type BatchPayload,
  type BufferedItem,
  createPosClient,
  type FetchLike,
  memoryStorage,
  type NewPosItem,
  type PosClientOptions,
  PosSyncError,
} from "../../src/pos/client";
import {
  createPosClientWithAllotments,
  memoryAllotmentStorage,
  PosAllotmentError,
  PosClaimError,
} from "../../src/pos/client-allotments";
import { api, type Json } from "../support/api";
import { expectInvariants } from "../support/drops";
import { introspect } from "../support/entitlements";
import { createDrop, createOffer, membershipTier } from "../support/fixtures";
import { posDevice } from "../support/pos";
import { createTenant, db, type Tenant } from "../support/tenants";

/** The real worker, as the client's fetch. */
const worker: FetchLike = (url, init) => exports.default.fetch(new Request(url, init));

/** The payload of an allotment claim, as the client signs it. */
interface ClaimPayload {
  claim_id: string;
  signed_at: string;
  drop_id: string;
  quantity: number;
  hours?: number;
  allow_partial?: boolean;
}

/**
 * Records every batch and claim the client sends; `intercept` may answer instead of (or after) the
 * worker. `call` counts both kinds of request.
 */
function wire(intercept?: (call: number, forward: () => Promise<Response>) => Promise<Response>) {
  const batches: BatchPayload[] = [];
  const claims: ClaimPayload[] = [];
  const fetch: FetchLike = async (url, init) => {
    const [, payload = ""] = String(init.body).split(".");
    const decoded = JSON.parse(new TextDecoder().decode(base64url.decode(payload)));
    if (new URL(url).pathname === "/v1/pos/allotments") claims.push(decoded);
    else batches.push(decoded);
    const forward = () => worker(url, init);
    return intercept ? intercept(batches.length + claims.length, forward) : forward();
  };
  return { fetch, batches, claims };
}

const problem = (status: number, detail: string) =>
  new Response(JSON.stringify({ type: "about:blank", title: "x", status, detail }), {
    status,
    headers: { "content-type": "application/problem+json" },
  });

async function setup(limits: Record<string, unknown> = {}) {
  const tenant = await createTenant();
  const fan = await createOffer(tenant, membershipTier({ title: "Fan", tier_rank: 1 }));
  const vip = await createOffer(tenant, membershipTier({ title: "VIP", tier_rank: 2 }));
  const poster = await createOffer(tenant, {
    kind: "one_time",
    title: "Poster",
    prices: [{ currency: "USD", amount: 2000 }],
  });
  const device = await posDevice(tenant, limits);
  const storage = memoryStorage();
  const allotmentStorage = memoryAllotmentStorage();
  const sleeps: number[] = [];
  const clientOptions = (options: Partial<PosClientOptions>): PosClientOptions => ({
    baseUrl: "http://api.test/",
    deviceId: device.id,
    privateKey: device.privateKey,
    storage,
    fetch: worker,
    event: "spring-market",
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...options,
  });
  /** A client on the shared storage: a new one is what the app gets after a restart. */
  const client = (options: Partial<PosClientOptions> = {}) => createPosClient(clientOptions(options));
  /** The same, with allotments kept in their own shared storage. */
  const seller = (options: Partial<PosClientOptions> = {}) =>
    createPosClientWithAllotments({ ...clientOptions(options), allotmentStorage });
  return {
    tenant,
    device,
    storage,
    allotmentStorage,
    sleeps,
    client,
    seller,
    offers: { fan: fan.id as string, vip: vip.id as string, poster: poster.id as string },
  };
}

const sale = (offerId: string, overrides: Partial<NewPosItem> = {}): NewPosItem => ({
  email: `fan-${crypto.randomUUID()}@example.test`,
  offer_id: offerId,
  quantity: 1,
  amount: 500,
  currency: "USD",
  payment: { method: "cash" },
  ...overrides,
});

async function rowsFor(tenant: Tenant) {
  const [memberRows, orderRows, grantRows, resultRows] = await Promise.all([
    db.select().from(members).where(eq(members.creatorId, tenant.creatorId)),
    db
      .select()
      .from(orders)
      .where(and(eq(orders.creatorId, tenant.creatorId), eq(orders.source, "pos"))),
    db
      .select()
      .from(entitlements)
      .where(and(eq(entitlements.creatorId, tenant.creatorId), eq(entitlements.sourceType, "pos"))),
    db.select().from(posItemResults).where(eq(posItemResults.creatorId, tenant.creatorId)),
  ]);
  return { members: memberRows, orders: orderRows, entitlements: grantRows, results: resultRows };
}

const statuses = (items: BufferedItem[]) => items.map((b) => b.status);
const landed = (b: BufferedItem) => (b.status === "accepted" || b.status === "duplicate" ? b : undefined);

async function syncError(promise: Promise<unknown>): Promise<PosSyncError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PosSyncError);
  return error as PosSyncError;
}

describe("the POS client against the worker", () => {
  it("buffers enrolments at once and syncs them: members, orders, entitlements and tokens land", async () => {
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
    expect(regular?.token?.entitlements.sort()).toEqual([offers.fan, offers.vip].sort());
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

/** A sale of a drop's units: enqueueFromAllotment names the offer and the allotment. */
const dropSale = (quantity = 1) => ({
  email: `fan-${crypto.randomUUID()}@example.test`,
  quantity,
  amount: 2000 * quantity,
  currency: "USD",
  payment: { method: "cash" as const },
});

async function thrown<T>(promise: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  return error as T;
}

async function dropSetup(stock = 10, limits: Record<string, unknown> = {}) {
  const context = await setup(limits);
  const drop: Json = await createDrop(context.tenant, { stock });
  const allotmentRows = () =>
    db.select().from(posAllotments).where(eq(posAllotments.deviceId, context.device.id));
  return { ...context, drop, allotmentRows };
}

describe("the POS client's allotments against the worker", () => {
  it("claims an allotment, sells from it offline and syncs: the drop counts the units sold", async () => {
    const { tenant, device, drop, seller } = await dropSetup(10);
    const { fetch, claims, batches } = wire();
    const pos = seller({ fetch });
    const allotment = await pos.claimAllotment({ dropId: drop.id, quantity: 4 });
    expect(allotment).toMatchObject({
      object: "pos_allotment",
      device_id: device.id,
      drop_id: drop.id,
      offer_id: drop.offer_id,
      quantity: 4,
      consumed: 0,
      remaining: 4,
      state: "active",
      released_at: null,
    });
    expect(claims).toEqual([
      {
        claim_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        drop_id: drop.id,
        quantity: 4,
        signed_at: expect.any(String),
      },
    ]);
    expect(await pos.pendingClaims()).toEqual([]);
    expect(await expectInvariants(drop.id)).toMatchObject({ available: 6, held: 4, sold: 0 });

    // Offline: both ways of naming the allotment, and the balance the app shows.
    await pos.enqueueFromAllotment(allotment.id, dropSale(2));
    await pos.enqueue({ ...dropSale(1), offer_id: drop.offer_id, allotment_id: allotment.id });
    expect(await pos.allotments()).toEqual([{ allotment, sold: 3, sellable: 1 }]);

    expect(await pos.sync()).toMatchObject({ batches: 1, accepted: 2, rejected: 0, remaining: 0 });
    expect(batches[0]?.items.map((i) => i.allotment_id)).toEqual([allotment.id, allotment.id]);
    expect(await expectInvariants(drop.id)).toMatchObject({ available: 6, held: 1, sold: 3 });
    expect((await api("GET", `/v1/drops/${drop.id}/stock`)).body).toMatchObject({ sold: 3, held: 1 });
    expect((await rowsFor(tenant)).orders).toHaveLength(2);
    expect(await pos.allotments()).toEqual([{ allotment, sold: 3, sellable: 1 }]);
  });

  it("resends a claim whose answer was lost under the same claim_id after a restart: one allotment, its units taken once", async () => {
    const { drop, allotmentStorage, allotmentRows, seller } = await dropSetup(10);
    const lossy = wire(async (call, forward) => {
      // Saved before it was sent, so a retry (even after the app dies here) has the same claim_id.
      expect((await allotmentStorage.load())?.claims).toEqual([
        { claimId: lossy.claims[0]?.claim_id, dropId: drop.id, quantity: 4 },
      ]);
      const res = await forward();
      expect(res.status).toBe(call === 1 ? 201 : 200);
      if (call === 1) throw new TypeError("Network connection lost");
      return res;
    });
    const before = seller({ fetch: lossy.fetch, maxAttempts: 1 });
    const lost = await thrown(before.claimAllotment({ dropId: drop.id, quantity: 4 }), PosClaimError);
    expect(lost).toMatchObject({ reason: "unavailable", claimId: lossy.claims[0]?.claim_id });
    expect(lost.message).toMatch(/1 attempts.*Network connection lost.*same claim_id/);
    expect(await expectInvariants(drop.id)).toMatchObject({ available: 6, held: 4 });
    // Another claim for that drop waits for this one, which may have taken its units (it did).
    const waiting = await thrown(before.claimAllotment({ dropId: drop.id, quantity: 2 }), PosClaimError);
    expect(waiting).toMatchObject({ reason: "claim_pending", claimId: lossy.claims[0]?.claim_id });
    expect(lossy.claims).toHaveLength(1);

    // The app restarts and claims the same again (or resends what pendingClaims() lists).
    const after = seller({ fetch: lossy.fetch });
    const [pending] = await after.pendingClaims();
    const allotment = await after.claimAllotment(pending ?? { dropId: "", quantity: 0 });
    expect(lossy.claims.map((c) => c.claim_id)).toEqual([pending?.claimId, pending?.claimId]);
    expect(allotment).toMatchObject({ drop_id: drop.id, quantity: 4, remaining: 4, state: "active" });
    expect(await expectInvariants(drop.id)).toMatchObject({ available: 6, held: 4 });
    expect(await allotmentRows()).toHaveLength(1);
    expect(await after.pendingClaims()).toEqual([]);
    expect((await after.allotments()).map((a) => a.allotment)).toEqual([allotment]);
  });

  it("retries a claim through a 503 and a lost answer within the call, under one claim_id", async () => {
    const { drop, sleeps, allotmentRows, seller } = await dropSetup(10);
    const flaky = wire(async (call, forward) => {
      if (call === 1) return problem(503, "Temporarily overloaded");
      const res = await forward();
      if (call === 2) throw new TypeError("fetch failed");
      return res;
    });
    const allotment = await seller({ fetch: flaky.fetch }).claimAllotment({ dropId: drop.id, quantity: 3 });
    expect(new Set(flaky.claims.map((c) => c.claim_id)).size).toBe(1);
    expect(flaky.claims).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expect(allotment).toMatchObject({ quantity: 3, state: "active" });
    expect(await expectInvariants(drop.id)).toMatchObject({ available: 7, held: 3 });
    expect(await allotmentRows()).toHaveLength(1);
  });

  it("refuses a sale past what the allotment has left here before buffering it, as the server would at sync", async () => {
    const { drop, offers, seller, client } = await dropSetup(10, { max_units_per_transaction: 5 });
    const pos = seller();
    const allotment = await pos.claimAllotment({ dropId: drop.id, quantity: 6 });
    const refused = async (promise: Promise<unknown>) => thrown(promise, PosAllotmentError);

    // One sale of all 6 leaves nothing here; the server then rejects it (over 5 units per item).
    await pos.enqueueFromAllotment(allotment.id, dropSale(6));
    expect(await refused(pos.enqueueFromAllotment(allotment.id, dropSale(1)))).toMatchObject({
      reason: "exceeded",
      allotmentId: allotment.id,
      sellable: 0,
      message: expect.stringMatching(/0 units left.*takes 1/),
    });
    expect(await pos.pending()).toHaveLength(1);
    expect(await pos.sync()).toMatchObject({ rejected: 1 });
    // A rejected sale took nothing, so its units are sellable again.
    expect(await pos.allotments()).toEqual([{ allotment, sold: 0, sellable: 6 }]);

    const five = await pos.enqueueFromAllotment(allotment.id, dropSale(5));
    expect(await refused(pos.enqueueFromAllotment(allotment.id, dropSale(2)))).toMatchObject({
      reason: "exceeded",
      sellable: 1,
    });
    await pos.enqueueFromAllotment(allotment.id, dropSale(1));
    // The same sale again is the entry already buffered, not another sale.
    expect(await pos.enqueue(five.item)).toEqual(five);
    expect(await refused(pos.enqueue({ ...sale(offers.poster), allotment_id: allotment.id }))).toMatchObject({
      reason: "offer_mismatch",
    });
    expect(await refused(pos.enqueueFromAllotment("alt_unknown", dropSale(1)))).toMatchObject({
      reason: "unknown_allotment",
    });
    expect(await pos.pending()).toHaveLength(2);
    expect(await pos.sync()).toMatchObject({ accepted: 2, rejected: 0 });
    expect(await expectInvariants(drop.id)).toMatchObject({ available: 4, held: 0, sold: 6 });

    // Past the guard (the plain client on the same buffer), the server rejects the sale at sync.
    await client().enqueue({ ...dropSale(1), offer_id: drop.offer_id, allotment_id: allotment.id });
    expect(await pos.sync()).toMatchObject({ accepted: 0, rejected: 1 });
    const items = await pos.items();
    expect(items.at(-1)).toMatchObject({ status: "rejected", code: "allotment_exceeded" });
    expect(await expectInvariants(drop.id)).toMatchObject({ available: 4, sold: 6 });

    // Pruning keeps the sales that count what the live allotment has left; rejected ones go.
    expect(await pos.prune()).toBe(2);
    expect(statuses(await pos.items())).toEqual(["accepted", "accepted"]);
    expect(await pos.allotments()).toEqual([{ allotment, sold: 6, sellable: 0 }]);
  });

  it("releases after syncing the pending sales: unused units go back on sale and the allotment sells no more", async () => {
    const { drop, seller } = await dropSetup(10);
    const { fetch, batches } = wire();
    const pos = seller({ fetch });
    const allotment = await pos.claimAllotment({ dropId: drop.id, quantity: 5 });
    await pos.enqueueFromAllotment(allotment.id, dropSale(2));
    expect(await expectInvariants(drop.id)).toMatchObject({ available: 5, held: 5, sold: 0 });

    const { summary, released } = await pos.releaseAllotments([allotment.id, allotment.id]);
    expect(summary).toMatchObject({ batches: 1, accepted: 1, remaining: 0 });
    // The sales went first, so they consumed the allotment before it was released.
    expect(batches.map((b) => [b.items.length, b.release_allotments])).toEqual([
      [1, undefined],
      [0, [allotment.id]],
    ]);
    expect(released).toEqual([
      {
        ...allotment,
        consumed: 2,
        remaining: 0,
        state: "released",
        released_at: expect.any(String),
      },
    ]);
    expect(await expectInvariants(drop.id)).toMatchObject({ available: 8, held: 0, sold: 2 });
    expect(await pos.allotments()).toEqual([{ allotment: released[0], sold: 2, sellable: 0 }]);
    expect(
      await thrown(pos.enqueueFromAllotment(allotment.id, dropSale(1)), PosAllotmentError),
    ).toMatchObject({ reason: "ended", message: expect.stringContaining("released") });

    // Releasing again changes nothing; the sales of an ended allotment can be pruned.
    expect((await pos.releaseAllotments([allotment.id])).released).toEqual(released);
    expect(await expectInvariants(drop.id)).toMatchObject({ available: 8, held: 0, sold: 2 });
    expect(await pos.prune()).toBe(1);
  });

  it.each([
    ["more units than the drop has left", { quantity: 11 }, 409, "insufficient-stock"],
    ["more units than the device may hold offline", { quantity: 1001 }, 422, "validation-failed"],
    ["an unknown drop", { quantity: 1, dropId: "drp_unknown" }, 404, "not-found"],
  ] as const)(
    "stops without retrying at a claim of %s, with the problem's type, and forgets it",
    async (_name, request, status, type) => {
      const { drop, sleeps, allotmentRows, seller } = await dropSetup(10);
      const { fetch, claims } = wire();
      const pos = seller({ fetch });
      const refused = await thrown(pos.claimAllotment({ dropId: drop.id, ...request }), PosClaimError);
      expect(refused).toMatchObject({
        reason: "refused",
        status,
        type: `https://creator-commerce.dev/problems/${type}`,
        claimId: claims[0]?.claim_id,
      });
      expect(claims).toHaveLength(1);
      expect(sleeps).toEqual([]);
      expect(await pos.pendingClaims()).toEqual([]);
      expect(await allotmentRows()).toHaveLength(0);
      expect(await expectInvariants(drop.id)).toMatchObject({ available: 10, held: 0 });
    },
  );

  it("takes what is left with allowPartial once a refused claim is forgotten", async () => {
    const { drop, seller } = await dropSetup(10);
    const pos = seller();
    await pos.claimAllotment({ dropId: drop.id, quantity: 7 });
    const refused = await thrown(pos.claimAllotment({ dropId: drop.id, quantity: 5 }), PosClaimError);
    expect(refused).toMatchObject({
      status: 409,
      type: "https://creator-commerce.dev/problems/insufficient-stock",
    });
    const rest = await pos.claimAllotment({ dropId: drop.id, quantity: 5, allowPartial: true });
    expect(rest).toMatchObject({ quantity: 3, remaining: 3 });
    expect(await expectInvariants(drop.id)).toMatchObject({ available: 0, held: 10 });
    expect((await pos.allotments()).map((a) => a.sellable)).toEqual([7, 3]);
  });

  it("keeps a claim refused for the device's clock (401) and resends it once the clock is right", async () => {
    const { drop, allotmentRows, seller } = await dropSetup(10);
    const { fetch, claims } = wire();
    const slow = seller({ fetch, now: () => Date.now() - 10 * 60_000 });
    const refused = await thrown(slow.claimAllotment({ dropId: drop.id, quantity: 2 }), PosClaimError);
    expect(refused).toMatchObject({ reason: "refused", status: 401 });
    expect(await slow.pendingClaims()).toHaveLength(1);

    const allotment = await seller({ fetch }).claimAllotment({ dropId: drop.id, quantity: 2 });
    expect(claims.map((c) => c.claim_id)).toEqual([claims[0]?.claim_id, claims[0]?.claim_id]);
    expect(allotment).toMatchObject({ quantity: 2 });
    expect(await allotmentRows()).toHaveLength(1);
  });
});
