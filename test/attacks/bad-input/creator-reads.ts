import { describe, expect, it } from "vitest";
import { api } from "../../support/api";
import { paidOrder } from "../../support/creator-reads";
import { createTenant, type Tenant, tableCounts } from "../../support/tenants";

const day = (d: number) => new Date(Date.UTC(2025, 5, d)).toISOString();
const long = "x".repeat(65);

describe("bad-input: the creator's reads", () => {
  let tenant: Tenant;
  it.each([
    ["a checkout status that is none", "/v1/checkouts?status=refund"],
    ["two statuses at once", "/v1/checkouts?status=paid&status=failed"],
    ["an email that is no email", "/v1/checkouts?email=not-an-email"],
    ["an email with a NUL", "/v1/checkouts?email=a%00b%40example.com"],
    ["an over-long member id", `/v1/checkouts?member_id=${long}`],
    ["an over-long drop id", `/v1/checkouts?drop_id=${long}`],
    ["a created_from on the 30th of February", "/v1/checkouts?created_from=2026-02-30T00:00:00Z"],
    ["a cursor from another list's shape", `/v1/checkouts?cursor=${btoa('{"t":1}')}`],
    ["an export with no range", "/v1/orders.csv"],
    [
      "an export with its range twice",
      `/v1/orders.csv?created_from=${day(1)}&created_from=${day(2)}&created_to=${day(3)}`,
    ],
    ["an export ending before it starts", `/v1/orders.csv?created_from=${day(3)}&created_to=${day(1)}`],
    [
      "an export over a year",
      `/v1/orders.csv?created_from=0000-01-01T00:00:00Z&created_to=9999-12-31T00:00:00Z`,
    ],
    ["an export with a date and no time", `/v1/orders.csv?created_from=2025-06-01&created_to=${day(3)}`],
    [
      "an export of an unknown source",
      `/v1/orders.csv?created_from=${day(1)}&created_to=${day(3)}&source=tv`,
    ],
    [
      "an export with an over-long offer id",
      `/v1/orders.csv?created_from=${day(1)}&created_to=${day(3)}&offer_id=${long}`,
    ],
  ])("refuses %s with one 422 problem and writes nothing", async (_, path) => {
    tenant ??= await createTenant();
    const before = await tableCounts();
    const res = await api("GET", path, { key: tenant.key });
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(res.body.errors.length).toBeGreaterThan(0);
    expect(await tableCounts()).toEqual(before);
  });

  it.each([
    ["an id that is no member", "mem_nothing"],
    ["an over-long id", "m".repeat(2000)],
    ["an id with a NUL", "mem%00x"],
    ["an order id", "ord_123"],
  ])("answers a member summary for %s with 404, never a 5xx", async (_, id) => {
    tenant ??= await createTenant();
    const res = await api("GET", `/v1/members/${id}/summary`, { key: tenant.key });
    expect(res.status).toBe(404);
  });

  it("answers an export that finds nothing with the header row, never an error", async () => {
    tenant ??= await createTenant();
    await paidOrder(tenant);
    const res = await api("GET", `/v1/orders.csv?created_from=${day(1)}&created_to=${day(2)}&status=paid`, {
      key: tenant.key,
    });
    expect(res.status).toBe(200);
    expect(String(res.body).split("\r\n").filter(Boolean)).toHaveLength(1);
  });
});
