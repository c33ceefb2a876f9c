import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { PosAllotmentError, PosClaimError } from "../../clients/pos/allotments";
import { posAllotments } from "../../src/db/schema";
import { api, type Json } from "../support/api";
import { expectInvariants } from "../support/drops";
import { createDrop } from "../support/fixtures";
import { problem, rowsFor, sale, setup, statuses, wire } from "../support/pos-client";
import { db } from "../support/tenants";

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
