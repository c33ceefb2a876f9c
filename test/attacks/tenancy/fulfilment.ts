import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { orders } from "../../../src/db/schema";
import { api } from "../../support/api";
import {
  buyFromDrop,
  changedTables,
  createHub,
  londonAddress,
  londonAndCentral,
  physicalDrop,
} from "../../support/fulfilment";
import { createTenant, db, tableCounts } from "../../support/tenants";

describe("tenancy: fulfilment", () => {
  it("another creator's key moving an order's fulfilment gets 404 and the order stays as it was", async () => {
    const [owner, other] = [await createTenant(), await createTenant()];
    const { drop } = await physicalDrop(owner);
    const paid = await buyFromDrop(drop, { shipping_address: londonAddress });
    const before = await tableCounts();
    const res = await api("POST", `/v1/orders/${paid.body.order_id}/fulfilment`, {
      key: other.key,
      body: { status: "packed" },
    });
    expect(res.status).toBe(404);
    expect(changedTables(before, await tableCounts())).toEqual({});
    const [row] = await db.select().from(orders).where(eq(orders.id, paid.body.order_id));
    expect(row?.fulfilmentStatus).toBe("unfulfilled");
  });

  it("a routing rule naming another creator's hub is refused as no such hub, and nothing is written", async () => {
    const [owner, other] = [await createTenant(), await createTenant()];
    const theirs = await createHub(other, { name: "Theirs", kind: "micro_hub" });
    const before = await tableCounts();
    const res = await api("PUT", "/v1/fulfilment-rules", {
      key: owner.key,
      body: { rules: [], default: { path: "micro_hub", hub_id: theirs.id } },
    });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([
      expect.objectContaining({ path: "/default/hub_id", message: "No such hub" }),
    ]);
    expect(changedTables(before, await tableCounts())).toEqual({});
  });

  it("another creator's key reading, changing or listing the windows of a hub gets 404", async () => {
    const [owner, other] = [await createTenant(), await createTenant()];
    const { london } = await londonAndCentral(owner);
    const before = await tableCounts();
    expect((await api("GET", `/v1/fulfilment-hubs/${london.id}`, { key: other.key })).status).toBe(404);
    const patch = await api("PATCH", `/v1/fulfilment-hubs/${london.id}`, {
      key: other.key,
      body: { name: "Mine now" },
    });
    expect(patch.status).toBe(404);
    const batches = await api(
      "GET",
      `/v1/fulfilment/batches?hub_id=${london.id}&from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z`,
      { key: other.key },
    );
    expect(batches.status).toBe(404);
    expect((await api("GET", "/v1/fulfilment-hubs", { key: other.key })).body.data).toEqual([]);
    expect(changedTables(before, await tableCounts())).toEqual({});
    expect((await api("GET", `/v1/fulfilment-hubs/${london.id}`, { key: owner.key })).body.name).toBe(
      "London micro hub",
    );
  });

  it("one creator's rule never changes another's, and its orders route only to its own hubs", async () => {
    const [a, b] = [await createTenant(), await createTenant()];
    const aHubs = await londonAndCentral(a);
    const bHubs = await londonAndCentral(b);
    expect((await api("GET", "/v1/fulfilment-rules", { key: b.key })).body.default.hub_id).toBe(
      bHubs.central.id,
    );
    const { drop } = await physicalDrop(b);
    const paid = await buyFromDrop(drop, { shipping_address: londonAddress });
    const [row] = await db.select().from(orders).where(eq(orders.id, paid.body.order_id));
    expect(row?.fulfilmentHubId).toBe(bHubs.london.id);
    expect(row?.fulfilmentHubId).not.toBe(aHubs.london.id);
  });
});
