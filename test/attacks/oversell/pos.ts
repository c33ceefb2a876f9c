import { describe, expect, it } from "vitest";
import { api, type Json } from "../../support/api";
import { expectInvariants } from "../../support/drops";
import { createDrop, createOffer, oneTimeOffer } from "../../support/fixtures";
import { claimUnits, type Device, posDevice, posItem, syncItems } from "../../support/pos";
import { createTenant, type Tenant, tableCounts } from "../../support/tenants";

const outcomes = (res: { body: Json }) => res.body.results.map((r: Json) => r.code ?? r.status);
const nowIso = () => new Date().toISOString();

async function stall(drop: Record<string, unknown>) {
  const tenant = await createTenant();
  const created = await createDrop(tenant, drop);
  const device = await posDevice(tenant);
  return { tenant, device, dropId: created.id as string, offerId: created.offer_id as string };
}

async function allotment(device: Device, dropId: string, quantity: number): Promise<Json> {
  const res = await claimUnits(device, dropId, quantity);
  expect(res.status).toBe(201);
  return res.body;
}

const closeDrop = async (tenant: Tenant, dropId: string) => {
  const res = await api("PATCH", `/v1/drops/${dropId}`, { key: tenant.key, body: { state: "closed" } });
  expect(res.status).toBe(200);
};

describe("oversell: pos", () => {
  it("a till sale of a 1-unit drop that has not started, without an allotment, sells nothing (not 3)", async () => {
    const { device, dropId, offerId } = await stall({
      stock: 1,
      starts_at: new Date(Date.now() + 86_400_000).toISOString(),
    });
    const before = await tableCounts();
    const res = await syncItems(device, [posItem(offerId), posItem(offerId), posItem(offerId)]);
    expect(res.status).toBe(200);
    expect(outcomes(res)).toEqual(Array(3).fill("drop_required"));
    expect(res.body.results[0].message).toContain(dropId);
    expect(await tableCounts()).toEqual(before);
    expect(await expectInvariants(dropId)).toMatchObject({ sold: 0, available: 1 });
  });

  it("a till sale of a live drop's offer without an allotment is refused, and one from an allotment lands", async () => {
    const { device, dropId, offerId } = await stall({ stock: 2 });
    const alt = await allotment(device, dropId, 1);
    const res = await syncItems(device, [
      posItem(offerId, { captured_at: nowIso() }),
      posItem(offerId, { captured_at: nowIso(), allotment_id: alt.id }),
    ]);
    expect(outcomes(res)).toEqual(["drop_required", "accepted"]);
    expect(await expectInvariants(dropId)).toMatchObject({ sold: 1, available: 1 });
  });

  it("a sale made while the drop was live, synced after it closed, without an allotment, is refused", async () => {
    const { tenant, device, dropId, offerId } = await stall({ stock: 5 });
    const madeDuringTheDrop = posItem(offerId, { captured_at: nowIso() });
    await closeDrop(tenant, dropId);
    const before = await tableCounts();
    expect(outcomes(await syncItems(device, [madeDuringTheDrop]))).toEqual(["drop_required"]);
    expect(await tableCounts()).toEqual(before);
  });

  it("a bundle whose component has an open drop is refused at the till: one allotment cannot hold its drop", async () => {
    const { tenant, device, dropId, offerId } = await stall({ stock: 1 });
    const bundle = await createOffer(
      tenant,
      oneTimeOffer({ kind: "bundle", components: [{ offer_id: offerId }] }),
    );
    const before = await tableCounts();
    const res = await syncItems(device, [posItem(bundle.id), posItem(bundle.id)]);
    expect(outcomes(res)).toEqual(["drop_required", "drop_required"]);
    expect(await tableCounts()).toEqual(before);
    expect(await expectInvariants(dropId)).toMatchObject({ sold: 0, available: 1 });
  });

  it("a device cannot draw down another device's allotment of the same creator", async () => {
    const { tenant, device, dropId, offerId } = await stall({ stock: 5 });
    const thief = await posDevice(tenant);
    const alt = await allotment(device, dropId, 3);
    const before = await tableCounts();
    const stolen = await syncItems(
      thief,
      [1, 2].map((quantity) => posItem(offerId, { allotment_id: alt.id, quantity, captured_at: nowIso() })),
    );
    expect(outcomes(stolen)).toEqual(["allotment_not_owned", "allotment_not_owned"]);
    expect(await tableCounts()).toEqual(before);
    const view = await api("GET", `/v1/pos/allotments/${alt.id}`, { key: tenant.key });
    expect(view.body).toMatchObject({ consumed: 0, remaining: 3 });
    // The owner still sells every unit it claimed.
    const own = await syncItems(device, [
      posItem(offerId, { allotment_id: alt.id, quantity: 3, captured_at: nowIso() }),
    ]);
    expect(outcomes(own)).toEqual(["accepted"]);
    expect(await expectInvariants(dropId)).toMatchObject({ sold: 3, available: 2 });
  });

  it("another device cannot draw down a released allotment's fallback to open stock either", async () => {
    const { tenant, device, dropId, offerId } = await stall({ stock: 5 });
    const thief = await posDevice(tenant);
    const alt = await allotment(device, dropId, 2);
    await api("DELETE", `/v1/pos/allotments/${alt.id}`, { key: tenant.key });
    const stolen = await syncItems(thief, [
      posItem(offerId, { allotment_id: alt.id, captured_at: nowIso() }),
    ]);
    expect(outcomes(stolen)).toEqual(["allotment_not_owned"]);
    expect(await expectInvariants(dropId)).toMatchObject({ sold: 0, available: 5 });
  });

  it("an offer whose drop closed before the sale sells at the till without an allotment", async () => {
    const { tenant, device, dropId, offerId } = await stall({ stock: 5 });
    await closeDrop(tenant, dropId);
    const res = await syncItems(device, [posItem(offerId, { captured_at: nowIso() })]);
    expect(outcomes(res)).toEqual(["accepted"]);
  });
});
