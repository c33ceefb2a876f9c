import { describe, expect, it } from "vitest";
import { metric } from "../../support/revenue";
import { createTenant, tableCounts } from "../../support/tenants";

const MAY = "from=2026-05-01&to=2026-06-01";

describe("bad input: checkout KPIs", () => {
  it.each([
    ["time-to-entitlement", "a target that is no integer", `${MAY}&target_ms=1e3`],
    ["time-to-entitlement", "a target of 0", `${MAY}&target_ms=0`],
    ["time-to-entitlement", "a target over an hour", `${MAY}&target_ms=3600001`],
    ["time-to-entitlement", "a drop id of another kind", `${MAY}&drop_id=off_abc`],
    ["drop-funnel", "an over-long drop id", `${MAY}&drop_id=drp_${"x".repeat(200)}`],
    ["drop-funnel", "a drop id with SQL in it", `${MAY}&drop_id=${encodeURIComponent("drp_x' OR 1=1 --")}`],
    ["conversion", "a currency in lower case", `${MAY}&currency=usd`],
    ["upsells", "a currency that is no code", `${MAY}&currency=DOLLARS`],
    ["payments", "a currency it does not take", `${MAY}&currency=USD`],
    ["payments", "an instant without a zone", "from=2026-05-01T00:00:00&to=2026-06-01"],
    [
      "upsells",
      "a range reversed by one millisecond",
      "from=2026-05-01T00:00:00.001Z&to=2026-05-01T00:00:00Z",
    ],
  ])("%s answers %s with one 422 problem and writes nothing", async (name, _, query) => {
    const tenant = await createTenant();
    const before = await tableCounts();
    const res = await metric(tenant, name, query);
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.body.errors?.length ?? 0).toBeGreaterThan(0);
    expect(await tableCounts()).toEqual(before);
  });
});
