import { describe, expect, it } from "vitest";
import type { Json } from "../../support/api";
import { expectInvariants } from "../../support/drops";
import { createDrop, createOffer } from "../../support/fixtures";
import { claimUnits, type Device, posDevice, posItem, syncItems } from "../../support/pos";
import { createTenant } from "../../support/tenants";

const nowIso = () => new Date().toISOString();
/** Setting up a hundred allotments or offers through the API takes a while on a busy machine. */
const SLOW = 60_000;

/** `count` one-unit allotments of the drop, claimed ten at a time. */
async function allotments(device: Device, dropId: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 10) {
    const claimed = await Promise.all(
      Array.from({ length: Math.min(10, count - i) }, () => claimUnits(device, dropId, 1)),
    );
    for (const res of claimed) {
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
  }
  return ids;
}

const tally = (res: { body: Json }) => {
  const counts: Record<string, number> = {};
  for (const r of res.body.results) counts[r.code ?? r.status] = (counts[r.code ?? r.status] ?? 0) + 1;
  return counts;
};

describe("bad-input: pos", () => {
  it(
    "a signed batch naming 100 distinct allotment ids answers per item, not 500",
    async () => {
      const tenant = await createTenant();
      const drop = await createDrop(tenant, { stock: 100 });
      const device = await posDevice(tenant, { max_units_per_transaction: 1, max_offline_units: 1000 });
      const ids = await allotments(device, drop.id, 100);
      const res = await syncItems(
        device,
        ids.map((id) => posItem(drop.offer_id, { allotment_id: id, captured_at: nowIso() })),
      );
      expect(res.status).toBe(200);
      expect(tally(res)).toEqual({ accepted: 100 });
      expect(await expectInvariants(drop.id)).toMatchObject({ sold: 100, held: 0, available: 0 });
    },
    SLOW,
  );

  it(
    "a full 500-item batch naming 500 distinct allotment ids answers per item, not 500",
    async () => {
      const tenant = await createTenant();
      const drop = await createDrop(tenant, { stock: 200 });
      const device = await posDevice(tenant, { max_offline_units: 1000 });
      const real = await allotments(device, drop.id, 120);
      const made = Array.from({ length: 380 }, (_, i) => `alt_${String(i).padStart(30, "0")}`);
      const res = await syncItems(
        device,
        [...real, ...made].map((id) => posItem(drop.offer_id, { allotment_id: id, captured_at: nowIso() })),
      );
      expect(res.status).toBe(200);
      expect(tally(res)).toEqual({ accepted: 120, invalid: 380 });
      expect(await expectInvariants(drop.id)).toMatchObject({ sold: 120 });
    },
    SLOW,
  );

  it(
    "a signed batch selling 120 distinct offers, some behind drops, answers per item, not 500",
    async () => {
      const tenant = await createTenant();
      const offers: string[] = [];
      for (let i = 0; i < 120; i += 20) {
        const made = await Promise.all(Array.from({ length: 20 }, () => createOffer(tenant)));
        offers.push(...made.map((o) => o.id as string));
      }
      const drop = await createDrop(tenant, { stock: 5 });
      const device = await posDevice(tenant);
      const res = await syncItems(
        device,
        [...offers, drop.offer_id].map((id) => posItem(id)),
      );
      expect(res.status).toBe(200);
      expect(tally(res)).toEqual({ accepted: 120, drop_required: 1 });
    },
    SLOW,
  );
});
