import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { orders, type PosDeviceRow, posDevices } from "../../src/db/schema";
import { inventoryGateway } from "../../src/inventory/gateway";
import { reconcile } from "../../src/pos/reconcile";
import { api, type Json } from "../support/api";
import { authorisationSuite } from "../support/auth-suite";
import { expectInvariants, reserveVia } from "../support/drops";
import { createDrop } from "../support/fixtures";
import {
  claimUnits,
  type Device,
  posDevice,
  posItem,
  signBatch,
  syncAndRelease,
  syncItems,
} from "../support/pos";
import { createTenant, db, type Tenant, tableCounts } from "../support/tenants";

/** A tenant with a live drop of `stock` units and a registered device. */
async function popUp(stock: number, limits: Record<string, unknown> = {}) {
  const tenant = await createTenant();
  const drop = await createDrop(tenant, { stock });
  const device = await posDevice(tenant, limits);
  return { tenant, dropId: drop.id as string, offerId: drop.offer_id as string, device };
}

/** A claim that must succeed: answers the allotment. */
async function allotment(device: Device, dropId: string, quantity: number) {
  const res = await claimUnits(device, dropId, quantity);
  expect(res.status).toBe(201);
  return res.body as Json;
}

/** A sale made from an allotment, captured now (after the claim). */
const sale = (offerId: string, allotmentId: string, extra: Record<string, unknown> = {}) =>
  posItem(offerId, { allotment_id: allotmentId, captured_at: new Date().toISOString(), ...extra });

const outcomes = (res: { body: Json }) => res.body.results.map((r: Json) => r.code ?? r.status);
const getAllotment = (tenant: Tenant, id: string) =>
  api("GET", `/v1/pos/allotments/${id}`, { key: tenant.key });

describe("POST /v1/pos/allotments", () => {
  it("takes the units off available stock like a long hold, once per claim id", async () => {
    const { dropId, offerId, device } = await popUp(10);
    const claimId = crypto.randomUUID();
    const first = await claimUnits(device, dropId, 4, { claim_id: claimId, hours: 12 });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      object: "pos_allotment",
      device_id: device.id,
      drop_id: dropId,
      offer_id: offerId,
      quantity: 4,
      consumed: 0,
      remaining: 4,
      state: "active",
    });
    const lasts = Date.parse(first.body.expires_at) - Date.parse(first.body.created_at);
    expect(lasts).toBe(12 * 3600_000);
    const again = await claimUnits(device, dropId, 4, { claim_id: claimId, hours: 12 });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(await expectInvariants(dropId)).toMatchObject({ available: 6, held: 4, sold: 0 });
    // The same claim id with another request is refused, not applied.
    const other = await claimUnits(device, dropId, 5, { claim_id: claimId, hours: 12 });
    expect(other.status).toBe(422);
    expect(other.body.type).toContain("idempotency-key-reused");
    expect((await expectInvariants(dropId)).held).toBe(4);
  });

  it("refuses one claim id for a second drop, and its units stay on sale", async () => {
    const { tenant, dropId, device } = await popUp(10);
    const other = await createDrop(tenant, { stock: 10 });
    expect((await claimUnits(device, dropId, 2, { claim_id: "same" })).status).toBe(201);
    const second = await claimUnits(device, other.id, 3, { claim_id: "same" });
    expect([second.status, second.body.detail]).toEqual([422, expect.stringContaining("claim_id")]);
    expect((await expectInvariants(other.id)).held).toBe(0);
    // Racing each other past the first check, one stands and the other gives its units back.
    const [a, b] = await Promise.all([
      claimUnits(device, dropId, 1, { claim_id: "race" }),
      claimUnits(device, other.id, 1, { claim_id: "race" }),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 422]);
    const held = (await expectInvariants(dropId)).held + (await expectInvariants(other.id)).held;
    expect(held).toBe(2 + 1);
  });

  it("is not bound by the drop's per-buyer limit, but is bound by the stock and the device's limits", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 5, per_buyer_limit: 1 });
    const device = await posDevice(tenant, { max_offline_units: 4, offline_window_hours: 24 });
    expect((await claimUnits(device, drop.id, 3)).status).toBe(201);
    const over = await claimUnits(device, drop.id, 5);
    expect([over.status, over.body.errors?.[0]?.path]).toEqual([422, "/quantity"]);
    const tooLong = await claimUnits(device, drop.id, 1, { hours: 48 });
    expect([tooLong.status, tooLong.body.errors?.[0]?.path]).toEqual([422, "/hours"]);
    const insufficient = await claimUnits(device, drop.id, 3);
    expect([insufficient.status, insufficient.body.type]).toEqual([
      409,
      expect.stringContaining("insufficient"),
    ]);
    const partial = await claimUnits(device, drop.id, 3, { allow_partial: true });
    expect([partial.status, partial.body.quantity]).toEqual([201, 2]);
    const soldOut = await claimUnits(device, drop.id, 1);
    expect([soldOut.status, soldOut.body.type]).toEqual([409, expect.stringContaining("sold-out")]);
    // Online buyers see the drop sold out while the device holds its units.
    expect((await reserveVia(drop.id)).status).toBe(409);
    await expectInvariants(drop.id);
  });

  it("refuses claims it cannot trust or that name another creator's drop, writing nothing", async () => {
    const { tenant, dropId, device } = await popUp(10);
    const stranger = await popUp(10);
    const before = await tableCounts();
    const signed = async (payload: Record<string, unknown>, kid = device.id) =>
      api("POST", "/v1/pos/allotments", {
        raw: await signBatch(device, payload, kid),
        headers: { "content-type": "application/jose" },
      });
    const claim = { claim_id: "c1", signed_at: new Date().toISOString(), drop_id: dropId, quantity: 1 };
    const unsigned = await api("POST", "/v1/pos/allotments", {
      raw: JSON.stringify(claim),
      headers: { "content-type": "application/jose" },
    });
    expect([unsigned.status, unsigned.body.type]).toEqual([
      401,
      expect.stringContaining("claim-signature-invalid"),
    ]);
    expect((await signed(claim, "dev_unknown")).status).toBe(401);
    expect((await signed({ ...claim, signed_at: new Date(Date.now() - 600_000).toISOString() })).status).toBe(
      401,
    );
    expect((await signed({ ...claim, drop_id: stranger.dropId })).status).toBe(404);
    expect((await signed({ ...claim, extra: true })).status).toBe(422);
    const json = await api("POST", "/v1/pos/allotments", { body: claim });
    expect(json.status).toBe(415);
    expect(await tableCounts()).toEqual(before);
    await api("DELETE", `/v1/pos/devices/${device.id}`, { key: tenant.key });
    const revoked = await tableCounts();
    expect((await signed(claim)).status).toBe(403);
    expect(await tableCounts()).toEqual(revoked);
    expect((await expectInvariants(dropId)).held).toBe(0);
    expect((await expectInvariants(stranger.dropId)).held).toBe(0);
  });
});

describe("drop items sold offline", () => {
  it("consume their allotment once, however often and however split the batch is replayed", async () => {
    const { tenant, dropId, offerId, device } = await popUp(10);
    const alt = await allotment(device, dropId, 5);
    const items = [1, 1, 2].map((quantity) => sale(offerId, alt.id, { quantity }));
    const first = await syncItems(device, items, "b1");
    expect(outcomes(first)).toEqual(["accepted", "accepted", "accepted"]);
    for (let i = 0; i < 10; i++)
      expect(outcomes(await syncItems(device, items, "b1"))).toEqual(Array(3).fill("duplicate"));
    expect(outcomes(await syncItems(device, [...items].reverse()))).toEqual(Array(3).fill("duplicate"));
    expect(outcomes(await syncItems(device, items.slice(0, 2)))).toEqual(Array(2).fill("duplicate"));
    expect((await getAllotment(tenant, alt.id)).body).toMatchObject({
      quantity: 5,
      consumed: 4,
      remaining: 1,
    });
    expect(await expectInvariants(dropId)).toMatchObject({ available: 5, held: 1, sold: 4 });
    const rows = await db
      .select()
      .from(orders)
      .where(and(eq(orders.creatorId, tenant.creatorId), eq(orders.dropId, dropId)));
    expect(rows).toHaveLength(3);
    expect(new Set(rows.map((o) => o.holdId)).size).toBe(3);
  });

  it("rejects a sale beyond the allotment as allotment_exceeded, and bad allotment ids as invalid", async () => {
    const { dropId, offerId, device } = await popUp(10);
    const stranger = await popUp(10);
    const alt = await allotment(device, dropId, 3);
    const foreign = await allotment(stranger.device, stranger.dropId, 1);
    const res = await syncItems(device, [
      sale(offerId, alt.id, { quantity: 2 }),
      sale(offerId, alt.id, { quantity: 2 }),
      sale(offerId, alt.id, { quantity: 1 }),
      sale(offerId, foreign.id),
      sale(offerId, "alt_nope"),
      posItem(offerId, { allotment_id: alt.id, captured_at: new Date(Date.now() - 3600_000).toISOString() }),
    ]);
    expect(outcomes(res)).toEqual([
      "accepted",
      "allotment_exceeded",
      "accepted",
      "invalid",
      "invalid",
      "invalid",
    ]);
    expect(await expectInvariants(dropId)).toMatchObject({ available: 7, held: 0, sold: 3 });
  });

  it("never oversell: two devices' allotments and online buyers share one stock", async () => {
    const { tenant, dropId, offerId } = await popUp(10);
    const [a, b] = [await posDevice(tenant), await posDevice(tenant)];
    const [altA, altB] = [await allotment(a, dropId, 6), await allotment(b, dropId, 3)];
    const online = await Promise.all(Array.from({ length: 5 }, () => reserveVia(dropId)));
    expect(online.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
    const salesA = Array.from({ length: 7 }, () => sale(offerId, altA.id));
    const salesB = Array.from({ length: 3 }, () => sale(offerId, altB.id));
    const [resA, resB] = await Promise.all([syncItems(a, salesA), syncItems(b, salesB)]);
    expect(outcomes(resA)).toEqual([...Array(6).fill("accepted"), "allotment_exceeded"]);
    expect(outcomes(resB)).toEqual(Array(3).fill("accepted"));
    expect(await expectInvariants(dropId)).toMatchObject({ available: 0, held: 1, sold: 9 });
  });

  it("land once when two devices send the same drop items at the same time, and only by their allotment's device", async () => {
    const { tenant, dropId, offerId, device } = await popUp(10);
    const other = await posDevice(tenant);
    const alt = await allotment(device, dropId, 6);
    const items = Array.from({ length: 6 }, () => sale(offerId, alt.id));
    const [ra, rb] = await Promise.all([syncItems(device, items), syncItems(other, items)]);
    for (let i = 0; i < items.length; i++) {
      // The other device finds the item landed (a duplicate) or, if it got there first, is refused: the
      // allotment is not its own.
      expect(ra.body.results[i].status).toBe("accepted");
      expect(rb.body.results[i].code ?? rb.body.results[i].status).toMatch(
        /^(duplicate|allotment_not_owned)$/,
      );
    }
    expect((await getAllotment(tenant, alt.id)).body).toMatchObject({ consumed: 6, remaining: 0 });
    expect(await expectInvariants(dropId)).toMatchObject({ available: 4, held: 0, sold: 6 });
  });
});

describe("a crash between the drop's object and D1", () => {
  it("takes nothing more when the batch is sent again: the sale made before the crash is found", async () => {
    const { tenant, dropId, offerId, device } = await popUp(10);
    const alt = await allotment(device, dropId, 3);
    const items = [sale(offerId, alt.id, { quantity: 2 })];
    const [row] = await db.select().from(posDevices).where(eq(posDevices.id, device.id));
    // D1 fails the landing batch (the third batch call: the first reads the facts, the second enrols
    // the buyer).
    let calls = 0;
    const failing = new Proxy(db, {
      get(target, prop, receiver) {
        if (prop !== "batch") return Reflect.get(target, prop, receiver);
        return async (writes: unknown) => {
          calls += 1;
          if (calls === 3) throw new Error("D1 went away");
          return (target.batch as (w: unknown) => Promise<unknown>).call(target, writes);
        };
      },
    });
    const ctx = {
      db: failing,
      inventory: inventoryGateway(env.DROP_INVENTORY, db),
      now: Date.now(),
      creatorId: tenant.creatorId,
    };
    const batch = { batch_id: "b1", signed_at: new Date().toISOString(), items };
    await expect(reconcile(ctx, row as PosDeviceRow, batch)).rejects.toThrow("D1 went away");
    expect(await expectInvariants(dropId)).toMatchObject({ held: 1, sold: 2 });
    expect(outcomes(await syncItems(device, items, "b1"))).toEqual(["accepted"]);
    expect(await expectInvariants(dropId)).toMatchObject({ available: 7, held: 1, sold: 2 });
  });
});

describe("releasing an allotment", () => {
  it("in a batch: its sales land first, then its unused units go back on sale", async () => {
    const { tenant, dropId, offerId, device } = await popUp(10);
    const other = await posDevice(tenant);
    const [alt, othersAlt] = [await allotment(device, dropId, 5), await allotment(other, dropId, 2)];
    const res = await syncAndRelease(
      device,
      [sale(offerId, alt.id, { quantity: 2 })],
      [alt.id, othersAlt.id, "alt_nope"],
    );
    expect(outcomes(res)).toEqual(["accepted"]);
    // Only the device's own allotment is released; the others are left alone and left out.
    expect(res.body.released_allotments).toEqual([
      expect.objectContaining({ id: alt.id, state: "released", consumed: 2, remaining: 0 }),
    ]);
    expect(await expectInvariants(dropId)).toMatchObject({ available: 6, held: 2, sold: 2 });
    const again = await syncAndRelease(device, [], [alt.id]);
    expect(again.status).toBe(200);
    expect(again.body.released_allotments[0]).toMatchObject({
      state: "released",
      released_at: res.body.released_allotments[0].released_at,
    });
    expect((await expectInvariants(dropId)).available).toBe(6);
  });

  it("by the creator; a sale from it that syncs later takes open stock, or is sold_out when none is left", async () => {
    const { tenant, dropId, offerId, device } = await popUp(3);
    const alt = await allotment(device, dropId, 3);
    const released = await api("DELETE", `/v1/pos/allotments/${alt.id}`, { key: tenant.key });
    expect(released.body).toMatchObject({ state: "released", remaining: 0, consumed: 0 });
    expect((await expectInvariants(dropId)).available).toBe(3);
    const late = await syncItems(device, [sale(offerId, alt.id, { quantity: 2 })]);
    expect(outcomes(late)).toEqual(["accepted"]);
    expect(await expectInvariants(dropId)).toMatchObject({ available: 1, sold: 2 });
    const tooLate = await syncItems(device, [sale(offerId, alt.id, { quantity: 2 })]);
    expect(outcomes(tooLate)).toEqual(["sold_out"]);
    expect(await expectInvariants(dropId)).toMatchObject({ available: 1, sold: 2 });
  });

  it("answers another creator's allotment ids with 404", async () => {
    const { tenant } = await popUp(3);
    const stranger = await popUp(3);
    const alt = await allotment(stranger.device, stranger.dropId, 1);
    expect((await getAllotment(tenant, alt.id)).status).toBe(404);
    expect((await api("DELETE", `/v1/pos/allotments/${alt.id}`, { key: tenant.key })).status).toBe(404);
    expect((await expectInvariants(stranger.dropId)).held).toBe(1);
  });
});

authorisationSuite("GET /v1/pos/allotments/{id}", async (owner) => {
  const drop = await createDrop(owner, { stock: 3 });
  const alt = await allotment(await posDevice(owner), drop.id, 1);
  return (key) => api("GET", `/v1/pos/allotments/${alt.id}`, key ? { key } : {});
});

authorisationSuite("DELETE /v1/pos/allotments/{id}", async (owner) => {
  const drop = await createDrop(owner, { stock: 3 });
  const alt = await allotment(await posDevice(owner), drop.id, 1);
  return (key) => api("DELETE", `/v1/pos/allotments/${alt.id}`, key ? { key } : {});
});

describe("an allotment's expiry", () => {
  afterEach(() => vi.useRealTimers());

  it("returns its unused units when its time is up; a sale from it that syncs later takes open stock", async () => {
    const { tenant, dropId, offerId, device } = await popUp(5);
    const alt = await allotment(device, dropId, 4);
    const made = sale(offerId, alt.id, { quantity: 2 });
    expect(outcomes(await syncItems(device, [sale(offerId, alt.id)]))).toEqual(["accepted"]);
    // The drop's object runs in this isolate: moving the clock moves its clock too.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.parse(alt.expires_at) + 1000 });
    expect(await expectInvariants(dropId)).toMatchObject({ available: 4, held: 0, sold: 1 });
    expect((await getAllotment(tenant, alt.id)).body).toMatchObject({
      state: "expired",
      consumed: 1,
      remaining: 0,
    });
    // Synced within the device's window but after the allotment ended: the drop still has the units.
    const late = await syncItems(device, [
      { ...made, captured_at: new Date(Date.now() - 60_000).toISOString() },
    ]);
    expect(outcomes(late)).toEqual(["accepted"]);
    expect(await expectInvariants(dropId)).toMatchObject({ available: 2, held: 0, sold: 3 });
  });
});
