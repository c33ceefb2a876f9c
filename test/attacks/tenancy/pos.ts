import { describe, expect, it } from "vitest";
import { api, type Json } from "../../support/api";
import { expectInvariants } from "../../support/drops";
import { createDrop, createOffer } from "../../support/fixtures";
import { claimUnits, posDevice, posItem, syncAndRelease, syncItems } from "../../support/pos";
import { createTenant, tableCounts } from "../../support/tenants";

const outcomes = (res: { body: Json }) => res.body.results.map((r: Json) => r.code ?? r.status);
const nowIso = () => new Date().toISOString();

/** Two creators, each with a live drop, a plain offer and a device; B's device holds an allotment. */
async function twoCreators() {
  const [a, b] = [await createTenant(), await createTenant()];
  const [dropA, dropB] = [await createDrop(a, { stock: 5 }), await createDrop(b, { stock: 5 })];
  const [posterA, posterB] = [await createOffer(a), await createOffer(b)];
  const [deviceA, deviceB] = [await posDevice(a), await posDevice(b)];
  const claimed = await claimUnits(deviceB, dropB.id, 3);
  expect(claimed.status).toBe(201);
  return { a, b, dropA, dropB, posterA, posterB, deviceA, deviceB, altB: claimed.body as Json };
}

describe("tenancy: pos", () => {
  it("a device naming another creator's offer lands nothing", async () => {
    const { posterB, deviceA } = await twoCreators();
    const before = await tableCounts();
    const res = await syncItems(deviceA, [posItem(posterB.id)]);
    expect(outcomes(res)).toEqual(["unknown_offer"]);
    expect(await tableCounts()).toEqual(before);
  });

  it("a device naming another creator's allotment or drop offer draws none of its units and writes nothing", async () => {
    const { dropA, dropB, deviceA, altB } = await twoCreators();
    const before = await tableCounts();
    const res = await syncItems(deviceA, [
      // Its own drop's offer with the stranger's allotment: an allotment it cannot see.
      posItem(dropA.offer_id, { allotment_id: altB.id, captured_at: nowIso() }),
      // The stranger's drop offer, with and without the stranger's allotment.
      posItem(dropB.offer_id, { allotment_id: altB.id, captured_at: nowIso() }),
      posItem(dropB.offer_id, { captured_at: nowIso() }),
    ]);
    expect(outcomes(res)).toEqual(["invalid", "unknown_offer", "unknown_offer"]);
    // Not told whether the allotment exists elsewhere.
    expect(res.body.results[0].message).toContain("for this creator");
    expect(await tableCounts()).toEqual(before);
    expect(await expectInvariants(dropB.id)).toMatchObject({ held: 3, sold: 0 });
  });

  it("a device releasing another creator's allotment releases nothing", async () => {
    const { b, dropB, deviceA, altB } = await twoCreators();
    const before = await tableCounts();
    const res = await syncAndRelease(deviceA, [], [altB.id]);
    expect([res.status, res.body.released_allotments]).toEqual([200, []]);
    expect(await tableCounts()).toEqual(before);
    const view = await api("GET", `/v1/pos/allotments/${altB.id}`, { key: b.key });
    expect(view.body).toMatchObject({ state: "active", remaining: 3 });
    expect((await expectInvariants(dropB.id)).held).toBe(3);
  });

  it("a device claiming another creator's drop gets 404 and holds nothing", async () => {
    const { dropB, deviceA } = await twoCreators();
    const before = await tableCounts();
    const res = await claimUnits(deviceA, dropB.id, 1);
    expect(res.status).toBe(404);
    expect(await tableCounts()).toEqual(before);
    expect((await expectInvariants(dropB.id)).held).toBe(3);
  });

  it("a device replaying another creator's sale id gets none of that sale's ids or token", async () => {
    const { posterA, posterB, deviceA, deviceB } = await twoCreators();
    const theirs = posItem(posterB.id);
    const [landedB] = (await syncItems(deviceB, [theirs])).body.results;
    const [mine] = (await syncItems(deviceA, [{ ...theirs, offer_id: posterA.id }])).body.results;
    expect(mine.status).toBe("accepted");
    expect(mine.order_id).not.toBe(landedB.order_id);
    expect(mine.member_id).not.toBe(landedB.member_id);
    expect(mine.entitlement_ids).not.toEqual(landedB.entitlement_ids);
    expect(mine.token.entitlements).toEqual([posterA.id]);
  });
});
