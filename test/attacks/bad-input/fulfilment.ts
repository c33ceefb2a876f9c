import { describe, expect, it } from "vitest";
import { api, type Json } from "../../support/api";
import {
  buyFromDrop,
  changedTables,
  createHub,
  londonAddress,
  moveFulfilment,
  physicalDrop,
} from "../../support/fulfilment";
import { createTenant, tableCounts } from "../../support/tenants";

/** One 422 problem with field errors, and nothing written. */
async function refusedWithNothingWritten(send: () => Promise<{ status: number; body: Json }>) {
  const before = await tableCounts();
  const res = await send();
  expect(res.status, JSON.stringify(res.body)).toBe(422);
  expect(res.body.type).toBe("https://creator-commerce.dev/problems/validation-failed");
  expect(res.body.errors.length).toBeGreaterThan(0);
  expect(changedTables(before, await tableCounts())).toEqual({});
  return res.body;
}

describe("bad-input: fulfilment", () => {
  it.each([
    ["an address that is a string", "10 Downing Street"],
    ["an address with an unknown field", { ...londonAddress, instructions: "leave by the door" }],
    ["an address missing its city", { ...londonAddress, city: undefined }],
    ["a postal code that is a number", { ...londonAddress, postal_code: 12345 }],
    ["a name of 10,000 characters", { ...londonAddress, name: "x".repeat(10_000) }],
    ["an address with a NUL in the city", { ...londonAddress, city: "Lon\u0000don" }],
    ["a right-to-left override in the line", { ...londonAddress, line1: "10 \u202eteertS" }],
    ["a country in lower-case letters that is no country", { ...londonAddress, country: "zz" }],
  ])("checkout refuses %s: 422, no hold, nothing written", async (_, address) => {
    const tenant = await createTenant();
    const { drop } = await physicalDrop(tenant);
    await refusedWithNothingWritten(() => buyFromDrop(drop, { shipping_address: address }));
    const stock = await api("GET", `/v1/drops/${drop.id}/stock`);
    expect(stock.body).toMatchObject({ held: 0, sold: 0 });
  });

  it.each([
    ["an unknown field", { name: "H", kind: "central", dock: 3 }],
    ["an unknown kind", { name: "H", kind: "drone" }],
    ["an empty name", { name: "  ", kind: "central" }],
    ["a country that is no code", { name: "H", kind: "central", country: "England" }],
    [
      "a window with its offset past its length",
      { name: "H", kind: "central", batch_window: { every_minutes: 60, offset_minutes: 60 } },
    ],
    [
      "a window of no length",
      { name: "H", kind: "central", batch_window: { every_minutes: 0, offset_minutes: 0 } },
    ],
    [
      "a window of fractional minutes",
      { name: "H", kind: "central", batch_window: { every_minutes: 90.5, offset_minutes: 0 } },
    ],
    [
      "a negative offset",
      { name: "H", kind: "central", batch_window: { every_minutes: 60, offset_minutes: -5 } },
    ],
    [
      "a window longer than four weeks",
      { name: "H", kind: "central", batch_window: { every_minutes: 50_000, offset_minutes: 0 } },
    ],
  ])("creating a hub refuses %s", async (_, body) => {
    const tenant = await createTenant();
    await refusedWithNothingWritten(() => api("POST", "/v1/fulfilment-hubs", { key: tenant.key, body }));
  });

  it.each([
    ["an unknown top-level field", { rules: [], default: { path: "central", hub_id: null }, version: 2 }],
    ["no default", { rules: [] }],
    ["an unknown path", { rules: [], default: { path: "teleport", hub_id: null } }],
    [
      "51 rules",
      {
        rules: Array.from({ length: 51 }, () => ({ when: {}, path: "central", hub_id: null })),
        default: { path: "central", hub_id: null },
      },
    ],
    [
      "a region without its country",
      {
        rules: [{ when: { regions: ["CA"] }, path: "central", hub_id: null }],
        default: { path: "central", hub_id: null },
      },
    ],
    [
      "a quantity bound of zero",
      {
        rules: [{ when: { min_quantity: 0 }, path: "central", hub_id: null }],
        default: { path: "central", hub_id: null },
      },
    ],
    [
      "an amount bound in no currency",
      {
        rules: [{ when: { max_amount: 100 }, path: "central", hub_id: null }],
        default: { path: "central", hub_id: null },
      },
    ],
  ])("replacing the routing rule refuses %s", async (_, body) => {
    const tenant = await createTenant();
    await refusedWithNothingWritten(() => api("PUT", "/v1/fulfilment-rules", { key: tenant.key, body }));
  });

  it.each([
    ["an unknown status", { status: "lost" }],
    ["an unknown field", { status: "packed", note: "fragile" }],
    [
      "a tracking number of 1,000 characters",
      { status: "shipped", carrier: "DHL", tracking_number: "1".repeat(1000) },
    ],
    [
      "a tracking number with a line break",
      { status: "shipped", carrier: "DHL", tracking_number: "1Z\n999" },
    ],
    ["a status that is a number", { status: 2 }],
  ])("a fulfilment move refuses %s", async (_, body) => {
    const tenant = await createTenant();
    const { drop } = await physicalDrop(tenant);
    const paid = await buyFromDrop(drop, { shipping_address: londonAddress });
    await refusedWithNothingWritten(() => moveFulfilment(tenant, paid.body.order_id, body));
  });

  it.each([
    ["no hub", "from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z", "/hub_id"],
    ["a start that is no instant", "hub_id=HUB&from=yesterday&to=2026-01-02T00:00:00Z", "/from"],
    ["an end before the start", "hub_id=HUB&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "/to"],
    ["a range over 92 days", "hub_id=HUB&from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z", "/to"],
    [
      "an unknown parameter",
      "hub_id=HUB&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&status=packed",
      "",
    ],
  ])("the batch windows refuse %s with 422", async (_, query, path) => {
    const tenant = await createTenant();
    const hub = await createHub(tenant, { name: "H", kind: "central" });
    const res = await api("GET", `/v1/fulfilment/batches?${query.replace("HUB", hub.id)}`, {
      key: tenant.key,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    if (path !== "") expect(res.body.errors.map((e: Json) => e.path)).toContain(path);
  });
});
