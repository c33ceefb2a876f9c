import { describe, expect, it } from "vitest";
import { at, checkout, countAndFlush, drop } from "../../support/checkout-metrics";
import { metric, tier } from "../../support/revenue";
import { createTenant, tableCounts } from "../../support/tenants";

const MAY = "from=2026-05-01&to=2026-06-01";

describe("tenancy: checkout KPIs", () => {
  it("another creator's drop as a KPI filter answers 404 and writes nothing", async () => {
    const [owner, other] = [await createTenant(), await createTenant()];
    const dropId = await drop(owner, {
      offerId: await tier(owner),
      stock: 5,
      startsAt: at("2026-05-02T00:00:00Z"),
    });
    const before = await tableCounts();
    for (const name of ["time-to-entitlement", "drop-funnel"]) {
      const res = await metric(other, name, `${MAY}&drop_id=${dropId}`);
      expect(res.status, name).toBe(404);
      expect(res.body.type).toMatch(/not-found$/);
    }
    expect(await tableCounts()).toEqual(before);
  });

  it("a creator's KPIs never count another creator's checkouts, orders or exposure counts", async () => {
    const [owner, other] = [await createTenant(), await createTenant()];
    const offerId = await tier(owner);
    const dropId = await drop(owner, { offerId, stock: 1, startsAt: at("2026-05-02T00:00:00Z") });
    await countAndFlush(owner, [
      { kind: "quote", count: 7, at: at("2026-05-03T00:00:00Z"), offerId, dropId, source: "api" },
    ]);
    await checkout(owner, {
      offerId,
      dropId,
      createdAt: at("2026-05-03T00:00:00Z"),
      ttfMs: 50,
      source: "api",
    });
    await checkout(owner, {
      offerId,
      createdAt: at("2026-05-03T00:00:00Z"),
      status: "failed",
      failureCode: "card_declined",
    });
    const figures = {
      "time-to-entitlement": { paid_checkouts: 0, p50_ms: null },
      "drop-funnel": { quotes: 0, checkouts: 0, drops: 0 },
      conversion: { quotes: 0, orders: 0, paid: 0 },
      payments: { attempted: 0, failed: 0, failure_rate: null },
      upsells: { paying_buyers: 0, baskets: 0 },
    };
    for (const [name, expected] of Object.entries(figures)) {
      const res = await metric(other, name, MAY);
      expect(res.status, name).toBe(200);
      expect(res.body.summary, name).toMatchObject(expected);
    }
    // The owner's own report does see them: the figures above are not zero by accident.
    expect((await metric(owner, "conversion", MAY)).body.summary).toMatchObject({
      quotes: 7,
      orders: 2,
      paid: 1,
    });
  });
});
