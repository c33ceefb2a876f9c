import { describe, expect, it } from "vitest";
import { metric } from "../../support/revenue";
import { createTenant, tableCounts } from "../../support/tenants";

const ROUTES = ["mrr", "subscriptions", "retention", "ltv", "enrolments"] as const;
const long = "9".repeat(4000);

/**
 * Every table's rows but the webhook dispatcher's cursor, which the dispatcher moves in the background
 * whatever request ran (not a write of these routes).
 */
async function rowCounts() {
  const { webhook_cursor: _cursor, ...rest } = await tableCounts();
  return rest;
}

describe("bad input: the subscription and member KPIs", () => {
  it.each([
    ["a reversed range", "from=2026-04-01&to=2026-03-01"],
    ["an empty range", "from=2026-03-01&to=2026-03-01"],
    ["a range over 400 days", "from=2024-01-01&to=2026-01-01"],
    ["no range", ""],
    ["an impossible date", "from=2026-02-30&to=2026-03-01"],
    ["epoch milliseconds", "from=1772323200000&to=1775001600000"],
    ["an over-long bound", `from=${long}&to=2026-03-01`],
    ["SQL in a bound", "from=2026-03-01'%20OR%201=1--&to=2026-04-01"],
    ["a bound given twice", "from=2026-03-01&from=2026-03-02&to=2026-04-01"],
    ["a NUL in a bound", "from=2026-03-01%00&to=2026-04-01"],
  ])("answers %s with one 422 problem on every route, writing nothing", async (_, query) => {
    const tenant = await createTenant();
    const before = await rowCounts();
    for (const name of ROUTES) {
      const res = await metric(tenant, name, query);
      expect(res.status, `${name}: ${JSON.stringify(res.body)}`).toBe(422);
      expect(res.body.type).toBe("https://creator-commerce.dev/problems/validation-failed");
    }
    expect(await rowCounts()).toEqual(before);
  });

  it.each([
    ["SQL in the currency", "USD'%20OR%20'1'='1"],
    ["a lower-case currency", "usd"],
    ["a currency of four letters", "USDT"],
    ["an over-long currency", "U".repeat(300)],
  ])("answers %s with 422 on the money reports", async (_, currency) => {
    const tenant = await createTenant();
    for (const name of ["mrr", "subscriptions", "ltv"]) {
      const res = await metric(tenant, name, `from=2026-03-01&to=2026-04-01&currency=${currency}`);
      expect(res.status, name).toBe(422);
    }
  });
});
