/**
 * Physical drops, end to end through the worker: the address checkout takes (or refuses), the route and
 * batch window a paid order lands with in the payment's own batch, the creator moving it through its
 * statuses, and the moves that are refused.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app";
import { orders } from "../../src/db/schema";
import { demoFulfilment, demoFulfilmentWrites } from "../../src/db/seed-fulfilment";
import { api, type Json } from "../support/api";
import { authorisationSuite } from "../support/auth-suite";
import { confirm } from "../support/checkouts";
import { countingD1 } from "../support/faults";
import { createOffer } from "../support/fixtures";
import {
  buyFromDrop,
  changedTables,
  createHub,
  londonAddress,
  londonAndCentral,
  moveFulfilment,
  physicalDrop,
  putRules,
  texasAddress,
} from "../support/fulfilment";
import { buyer, quote } from "../support/quotes";
import { createTenant, db, tableCounts } from "../support/tenants";

const orderRow = async (id: string) => (await db.select().from(orders).where(eq(orders.id, id)))[0];
const nextWindowAt17 = (paidAt: number) => {
  const day = new Date(paidAt);
  const at = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), 17);
  return at >= paidAt ? at : at + 86_400_000;
};

describe("offers that ship", () => {
  it("an offer says whether it requires shipping, false unless set, and can change it", async () => {
    const tenant = await createTenant();
    const digital = await createOffer(tenant);
    expect(digital.requires_shipping).toBe(false);
    const printed = await createOffer(tenant, {
      kind: "one_time",
      title: "Print",
      prices: [{ currency: "USD", amount: 900 }],
      requires_shipping: true,
    });
    expect(printed.requires_shipping).toBe(true);
    const res = await api("PATCH", `/v1/offers/${digital.id}`, {
      key: tenant.key,
      body: { requires_shipping: true },
    });
    expect(res.body.requires_shipping).toBe(true);
    expect((await api("GET", `/v1/offers/${digital.id}`, { key: tenant.key })).body.requires_shipping).toBe(
      true,
    );
  });

  it("a membership cannot require shipping (422), on create or update", async () => {
    const tenant = await createTenant();
    const body = {
      kind: "membership",
      title: "Fan",
      prices: [{ currency: "USD", amount: 300 }],
      billing_interval: "month",
      tier_rank: 1,
    };
    const refused = await api("POST", "/v1/offers", {
      key: tenant.key,
      body: { ...body, requires_shipping: true },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([expect.objectContaining({ path: "/requires_shipping" })]);
    const tier = await createOffer(tenant, body);
    const update = await api("PATCH", `/v1/offers/${tier.id}`, {
      key: tenant.key,
      body: { requires_shipping: true },
    });
    expect(update.status).toBe(422);
  });
});

describe("checkout of a physical drop", () => {
  it("requires a shipping address (422 naming shipping_address), holding and writing nothing", async () => {
    const tenant = await createTenant();
    const { drop } = await physicalDrop(tenant);
    const before = await tableCounts();
    const res = await buyFromDrop(drop, {});
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([expect.objectContaining({ in: "body", path: "/shipping_address" })]);
    expect(changedTables(before, await tableCounts())).toEqual({});
    const stock = await api("GET", `/v1/drops/${drop.id}/stock`);
    expect(stock.body).toMatchObject({ available: 20, held: 0, sold: 0 });
  });

  it("a digital offer refuses an address (422), writing nothing", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const buyerId = crypto.randomUUID();
    const quoted = await quote({ offer_id: offer.id }, buyer(buyerId));
    const before = await tableCounts();
    const res = await api("POST", "/v1/checkouts", {
      body: {
        quote: quoted.body.token,
        email: "d@example.test",
        payment_method: "4242424242424242",
        shipping_address: londonAddress,
      },
      headers: { "buyer-id": buyerId, "idempotency-key": crypto.randomUUID() },
    });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([expect.objectContaining({ path: "/shipping_address" })]);
    expect(changedTables(before, await tableCounts())).toEqual({});
  });

  it("a bundle with a component that ships requires an address", async () => {
    const tenant = await createTenant();
    const printed = await createOffer(tenant, {
      kind: "one_time",
      title: "Print",
      prices: [{ currency: "USD", amount: 900 }],
      requires_shipping: true,
    });
    const download = await createOffer(tenant);
    const bundle = await createOffer(tenant, {
      kind: "bundle",
      title: "Print and download",
      prices: [{ currency: "USD", amount: 2500 }],
      components: [
        { offer_id: printed.id, quantity: 1 },
        { offer_id: download.id, quantity: 1 },
      ],
    });
    expect(bundle.requires_shipping).toBe(false);
    const buyerId = crypto.randomUUID();
    const quoted = await quote({ offer_id: bundle.id }, buyer(buyerId));
    const send = (extra: Record<string, unknown>) =>
      api("POST", "/v1/checkouts", {
        body: {
          quote: quoted.body.token,
          email: "b@example.test",
          payment_method: "4242424242424242",
          ...extra,
        },
        headers: { "buyer-id": buyerId, "idempotency-key": crypto.randomUUID() },
      });
    expect((await send({})).status).toBe(422);
    const paid = await send({ shipping_address: londonAddress });
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    expect((await orderRow(paid.body.order_id))?.fulfilmentStatus).toBe("unfulfilled");
  });

  it.each([
    ["an invalid postal code", { ...londonAddress, postal_code: "12345" }, "/shipping_address/postal_code"],
    [
      "a control character in the name",
      { ...londonAddress, name: "Ada\u0000Lovelace" },
      "/shipping_address/name",
    ],
    [
      "a line break smuggled into a line",
      { ...londonAddress, line1: "1 Road\r\nBcc: x" },
      "/shipping_address/line1",
    ],
    ["an unknown country", { ...londonAddress, country: "UK" }, "/shipping_address/country"],
    ["a US address without its state", { ...texasAddress, region: undefined }, "/shipping_address/region"],
    [
      "the hub it wants, which the rule chooses",
      { ...londonAddress, hub_id: "hub_theirs" },
      "/shipping_address/hub_id",
    ],
  ])("a buyer who sends %s gets 422 and nothing is written", async (_, address, path) => {
    const tenant = await createTenant();
    const { drop } = await physicalDrop(tenant);
    const before = await tableCounts();
    const res = await buyFromDrop(drop, { shipping_address: address });
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(res.body.errors.map((e: Json) => e.path)).toContain(path);
    expect(changedTables(before, await tableCounts())).toEqual({});
  });

  it("a paid order is routed by the rule and batched into its hub's next window, in the payment's batch", async () => {
    const tenant = await createTenant();
    const { drop } = await physicalDrop(tenant);
    const { london, central } = await londonAndCentral(tenant);
    const res = await buyFromDrop(drop, { shipping_address: londonAddress }, { quantity: 2 });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.status).toBe("paid");
    const row = await orderRow(res.body.order_id);
    expect(row?.shippingAddress).toEqual({ ...londonAddress, postal_code: "SW1A 2AA" });
    expect(row).toMatchObject({
      fulfilmentStatus: "unfulfilled",
      fulfilmentPath: "micro_hub",
      fulfilmentHubId: london.id,
    });
    expect(row?.fulfilmentBatchAt).toBe(nextWindowAt17(row?.paidAt ?? 0));

    const us = await buyFromDrop(drop, { shipping_address: texasAddress });
    const usRow = await orderRow(us.body.order_id);
    expect(usRow).toMatchObject({
      fulfilmentPath: "central",
      fulfilmentHubId: central.id,
      fulfilmentBatchAt: null,
    });
    expect(usRow?.shippingAddress).toMatchObject({ region: "TX", postal_code: "78701" });

    const shown = await api("GET", `/v1/orders/${res.body.order_id}`, { key: tenant.key });
    expect(shown.body.fulfilment).toMatchObject({
      status: "unfulfilled",
      path: "micro_hub",
      hub_id: london.id,
      batch_at: new Date(row?.fulfilmentBatchAt ?? 0).toISOString(),
    });
    expect(shown.body.shipping_address).toMatchObject({
      country: "GB",
      postal_code: "SW1A 2AA",
      line2: null,
    });
  });

  it("a payment completed through 3-D Secure is routed too, by the general pay path", async () => {
    const tenant = await createTenant();
    const { drop } = await physicalDrop(tenant);
    const { london } = await londonAndCentral(tenant);
    const created = await buyFromDrop(drop, {
      shipping_address: londonAddress,
      payment_method: "4000002760003184",
    });
    expect(created.body.status).toBe("requires_action");
    expect((await orderRow(created.body.order_id))?.fulfilmentStatus).toBeNull();
    const paid = await confirm(created.body.id, created.body.secret);
    expect(paid.body.status).toBe("paid");
    expect(await orderRow(created.body.order_id)).toMatchObject({
      fulfilmentStatus: "unfulfilled",
      fulfilmentHubId: london.id,
    });
  });

  it("with no rule set, a paid physical order goes central with no hub", async () => {
    const tenant = await createTenant();
    const { drop } = await physicalDrop(tenant);
    const res = await buyFromDrop(drop, { shipping_address: londonAddress });
    expect(await orderRow(res.body.order_id)).toMatchObject({
      fulfilmentStatus: "unfulfilled",
      fulfilmentPath: "central",
      fulfilmentHubId: null,
      fulfilmentBatchAt: null,
    });
  });

  it("routing costs the pay path no sequential round trip: create to paid stays at 3 of ours", async () => {
    const tenant = await createTenant();
    const { drop } = await physicalDrop(tenant);
    await londonAndCentral(tenant);
    const buyerId = crypto.randomUUID();
    const quoted = await quote({ offer_id: drop.offer_id, drop_id: drop.id }, buyer(buyerId));
    const d1 = countingD1(env.DB);
    const res = await buildApp().fetch(
      new Request("http://api.test/v1/checkouts", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "buyer-id": buyerId,
          "idempotency-key": crypto.randomUUID(),
        },
        body: JSON.stringify({
          quote: quoted.body.token,
          email: "rt@example.test",
          payment_method: "4242424242424242",
          shipping_address: londonAddress,
        }),
      }),
      { ...env, DB: d1.binding },
    );
    const body = (await res.json()) as Json;
    expect(body.status).toBe("paid");
    expect(d1.seen.sequential - d1.seen.provider, d1.seen.queries.join("\n")).toBeLessThanOrEqual(3);
    expect((await orderRow(body.order_id))?.fulfilmentPath).toBe("micro_hub");
  });
});

describe("the creator fulfils a paid order", () => {
  async function paidPhysical() {
    const tenant = await createTenant();
    const { drop } = await physicalDrop(tenant);
    const hubs = await londonAndCentral(tenant);
    const res = await buyFromDrop(drop, { shipping_address: londonAddress });
    return { tenant, drop, ...hubs, orderId: res.body.order_id as string };
  }

  it("moves it packed → shipped (with carrier and tracking) → delivered → returned, each audited with from and to", async () => {
    const { tenant, orderId } = await paidPhysical();
    const packed = await moveFulfilment(tenant, orderId, { status: "packed" });
    expect(packed.status).toBe(200);
    expect(packed.body.fulfilment.status).toBe("packed");
    const shipped = await moveFulfilment(tenant, orderId, {
      status: "shipped",
      carrier: "Royal Mail",
      tracking_number: "RM123456789GB",
    });
    expect(shipped.body.fulfilment).toMatchObject({
      status: "shipped",
      carrier: "Royal Mail",
      tracking_number: "RM123456789GB",
    });
    expect((await moveFulfilment(tenant, orderId, { status: "delivered" })).body.fulfilment.status).toBe(
      "delivered",
    );
    expect((await moveFulfilment(tenant, orderId, { status: "returned" })).body.fulfilment.status).toBe(
      "returned",
    );
    const audit = await api(
      "GET",
      `/v1/audit-events?subject_type=order&subject_id=${orderId}&action=order.fulfilment_updated`,
      { key: tenant.key },
    );
    expect(audit.body.data.map((e: Json) => [e.data.from, e.data.to]).reverse()).toEqual([
      ["unfulfilled", "packed"],
      ["packed", "shipped"],
      ["shipped", "delivered"],
      ["delivered", "returned"],
    ]);
  });

  it.each([
    ["ship before packing", [], { status: "shipped", carrier: "DHL", tracking_number: "1" }],
    ["deliver before shipping", [{ status: "packed" }], { status: "delivered" }],
    ["return an unshipped order", [{ status: "packed" }], { status: "returned" }],
    ["pack twice", [{ status: "packed" }], { status: "packed" }],
    [
      "move a returned order",
      [
        { status: "packed" },
        { status: "shipped", carrier: "DHL", tracking_number: "1" },
        { status: "returned" },
      ],
      { status: "unfulfilled" },
    ],
  ])("refuses to %s with 409 fulfilment-transition-invalid", async (_, steps, move) => {
    const { tenant, orderId } = await paidPhysical();
    for (const step of steps) expect((await moveFulfilment(tenant, orderId, step)).status).toBe(200);
    const before = await orderRow(orderId);
    const res = await moveFulfilment(tenant, orderId, move);
    expect(res.status).toBe(409);
    expect(res.body.type).toBe("https://creator-commerce.dev/problems/fulfilment-transition-invalid");
    expect(await orderRow(orderId)).toEqual(before);
  });

  it("unpacks a packed order", async () => {
    const { tenant, orderId } = await paidPhysical();
    await moveFulfilment(tenant, orderId, { status: "packed" });
    expect((await moveFulfilment(tenant, orderId, { status: "unfulfilled" })).body.fulfilment.status).toBe(
      "unfulfilled",
    );
  });

  it.each([
    ["shipping without a tracking number", { status: "shipped", carrier: "DHL" }, ["/tracking_number"]],
    ["shipping without a carrier", { status: "shipped", tracking_number: "1Z999" }, ["/carrier"]],
    [
      "a tracking number on a move that is not shipping",
      { status: "packed", tracking_number: "1Z999" },
      ["/tracking_number"],
    ],
  ])("refuses %s with 422, changing nothing", async (_, body, paths) => {
    const { tenant, orderId } = await paidPhysical();
    if (body.status === "shipped") await moveFulfilment(tenant, orderId, { status: "packed" });
    const before = await orderRow(orderId);
    const res = await moveFulfilment(tenant, orderId, body);
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: Json) => e.path)).toEqual(paths);
    expect(await orderRow(orderId)).toEqual(before);
  });

  it("a digital order and an unpaid physical order have nothing to fulfil (409 fulfilment-not-applicable)", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const buyerId = crypto.randomUUID();
    const quoted = await quote({ offer_id: offer.id }, buyer(buyerId));
    const digital = await api("POST", "/v1/checkouts", {
      body: { quote: quoted.body.token, email: "d@example.test", payment_method: "4242424242424242" },
      headers: { "buyer-id": buyerId, "idempotency-key": crypto.randomUUID() },
    });
    const { drop } = await physicalDrop(tenant);
    const declined = await buyFromDrop(drop, {
      shipping_address: londonAddress,
      payment_method: "4000000000000002",
    });
    expect(declined.body.status).toBe("failed");
    for (const id of [digital.body.order_id, declined.body.order_id]) {
      const res = await moveFulfilment(tenant, id, { status: "packed" });
      expect(res.status).toBe(409);
      expect(res.body.type).toBe("https://creator-commerce.dev/problems/fulfilment-not-applicable");
    }
  });

  it("a refunded order cannot be shipped, but can be unpacked", async () => {
    const { tenant, orderId } = await paidPhysical();
    await moveFulfilment(tenant, orderId, { status: "packed" });
    const refund = await api("POST", `/v1/orders/${orderId}/refund`, { key: tenant.key, body: {} });
    expect(refund.status, JSON.stringify(refund.body)).toBe(200);
    const ship = await moveFulfilment(tenant, orderId, {
      status: "shipped",
      carrier: "DHL",
      tracking_number: "1",
    });
    expect(ship.status).toBe(409);
    expect(ship.body.type).toBe("https://creator-commerce.dev/problems/fulfilment-transition-invalid");
    expect((await moveFulfilment(tenant, orderId, { status: "unfulfilled" })).status).toBe(200);
  });

  it("of two packers moving the same order at once, one wins and the other gets 409", async () => {
    const { tenant, orderId } = await paidPhysical();
    const results = await Promise.all([
      moveFulfilment(tenant, orderId, { status: "packed" }, crypto.randomUUID()),
      moveFulfilment(tenant, orderId, { status: "packed" }, crypto.randomUUID()),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const audit = await api(
      "GET",
      `/v1/audit-events?subject_type=order&subject_id=${orderId}&action=order.fulfilment_updated`,
      { key: tenant.key },
    );
    expect(audit.body.data).toHaveLength(1);
  });

  it("a retried move with the same Idempotency-Key replays its answer and moves once", async () => {
    const { tenant, orderId } = await paidPhysical();
    const key = crypto.randomUUID();
    const first = await moveFulfilment(tenant, orderId, { status: "packed" }, key);
    const again = await moveFulfilment(tenant, orderId, { status: "packed" }, key);
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
  });
});

describe("hubs, the routing rule and the batch windows", () => {
  it("lists a hub's windows with their orders, units and statuses", async () => {
    const tenant = await createTenant();
    const { drop } = await physicalDrop(tenant);
    const { london } = await londonAndCentral(tenant);
    const a = await buyFromDrop(drop, { shipping_address: londonAddress }, { quantity: 2 });
    await buyFromDrop(
      drop,
      { shipping_address: { ...londonAddress, country: "IE", postal_code: undefined } },
      { quantity: 3 },
    );
    await buyFromDrop(drop, { shipping_address: texasAddress });
    await moveFulfilment(tenant, a.body.order_id, { status: "packed" });
    const batchAt = (await orderRow(a.body.order_id))?.fulfilmentBatchAt ?? 0;
    const from = new Date(batchAt - 86_400_000).toISOString();
    const to = new Date(batchAt + 86_400_000).toISOString();
    const res = await api("GET", `/v1/fulfilment/batches?hub_id=${london.id}&from=${from}&to=${to}`, {
      key: tenant.key,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      object: "fulfilment_batches",
      hub_id: london.id,
      batch_window: { every_minutes: 1440, offset_minutes: 1020 },
    });
    expect(res.body.data).toEqual([
      {
        batch_at: new Date(batchAt).toISOString(),
        orders: 2,
        units: 5,
        by_status: { unfulfilled: 1, packed: 1, shipped: 0, delivered: 0, returned: 0 },
      },
    ]);
  });

  it("reads back the rule it was given, and the built-in one before any", async () => {
    const tenant = await createTenant();
    expect((await api("GET", "/v1/fulfilment-rules", { key: tenant.key })).body).toEqual({
      object: "fulfilment_rules",
      rules: [],
      default: { path: "central", hub_id: null },
      updated_at: null,
    });
    const { london, central } = await londonAndCentral(tenant);
    const got = await api("GET", "/v1/fulfilment-rules", { key: tenant.key });
    expect(got.body.rules).toEqual([
      { when: { countries: ["GB", "IE"] }, path: "micro_hub", hub_id: london.id },
    ]);
    expect(got.body.default).toEqual({ path: "central", hub_id: central.id });
  });

  it.each([
    ["a hub that does not exist", (h: Json) => ({ path: "micro_hub", hub_id: `${h.micro.id}x` })],
    ["a central hub on a micro_hub path", (h: Json) => ({ path: "micro_hub", hub_id: h.central.id })],
    ["a micro_hub path with no hub", () => ({ path: "micro_hub", hub_id: null })],
    ["an archived hub", (h: Json) => ({ path: "central", hub_id: h.archived.id })],
  ])("refuses a rule naming %s (422), keeping the old one", async (_, target) => {
    const tenant = await createTenant();
    const micro = await createHub(tenant, { name: "M", kind: "micro_hub" });
    const central = await createHub(tenant, { name: "C", kind: "central" });
    const archived = await createHub(tenant, { name: "A", kind: "central" });
    await api("PATCH", `/v1/fulfilment-hubs/${archived.id}`, {
      key: tenant.key,
      body: { status: "archived" },
    });
    const res = await api("PUT", "/v1/fulfilment-rules", {
      key: tenant.key,
      body: {
        rules: [{ when: {}, ...target({ micro, central, archived }) }],
        default: { path: "central", hub_id: null },
      },
    });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([expect.objectContaining({ path: "/rules/0/hub_id" })]);
    expect((await api("GET", "/v1/fulfilment-rules", { key: tenant.key })).body.updated_at).toBeNull();
  });

  it("a hub the rule names cannot be archived or change kind (409) until the rule changes", async () => {
    const tenant = await createTenant();
    const { london, central } = await londonAndCentral(tenant);
    for (const body of [{ status: "archived" }, { kind: "central" }]) {
      const res = await api("PATCH", `/v1/fulfilment-hubs/${london.id}`, { key: tenant.key, body });
      expect(res.status).toBe(409);
    }
    await putRules(tenant, { rules: [], default: { path: "central", hub_id: central.id } });
    const archived = await api("PATCH", `/v1/fulfilment-hubs/${london.id}`, {
      key: tenant.key,
      body: { status: "archived", batch_window: null },
    });
    expect(archived.body).toMatchObject({ status: "archived", batch_window: null });
  });

  it("creates, reads, lists and updates hubs", async () => {
    const tenant = await createTenant();
    const hub = await createHub(tenant, {
      name: "Leeds",
      kind: "micro_hub",
      country: "GB",
      batch_window: { every_minutes: 720, offset_minutes: 60 },
    });
    expect(hub).toMatchObject({
      object: "fulfilment_hub",
      name: "Leeds",
      kind: "micro_hub",
      country: "GB",
      status: "active",
    });
    expect((await api("GET", `/v1/fulfilment-hubs/${hub.id}`, { key: tenant.key })).body).toEqual(hub);
    expect((await api("GET", "/v1/fulfilment-hubs", { key: tenant.key })).body.data).toEqual([hub]);
    const renamed = await api("PATCH", `/v1/fulfilment-hubs/${hub.id}`, {
      key: tenant.key,
      body: { name: "Leeds North" },
    });
    expect(renamed.body).toMatchObject({
      name: "Leeds North",
      batch_window: { every_minutes: 720, offset_minutes: 60 },
    });
  });
});

describe("the demo seed", () => {
  it("seeds a printed poster on a live drop, two hubs and the GB/IE rule, idempotently, and routes by it", async () => {
    const tenant = await createTenant();
    const [first, ...rest] = demoFulfilmentWrites(db, tenant, Date.now());
    if (first === undefined) throw new Error("no seed writes");
    await db.batch([first, ...rest]);
    const seeded = await tableCounts();
    const [again, ...more] = demoFulfilmentWrites(db, tenant, Date.now());
    if (again === undefined) throw new Error("no seed writes");
    await db.batch([again, ...more]);
    expect(changedTables(seeded, await tableCounts())).toEqual({});
    const drop = { id: demoFulfilment.dropId, offer_id: demoFulfilment.offerId };
    const gb = await buyFromDrop(drop, { shipping_address: londonAddress });
    expect(gb.status, JSON.stringify(gb.body)).toBe(201);
    expect(await orderRow(gb.body.order_id)).toMatchObject({
      fulfilmentPath: "micro_hub",
      fulfilmentHubId: demoFulfilment.microHubId,
    });
    const us = await buyFromDrop(drop, { shipping_address: texasAddress });
    expect(await orderRow(us.body.order_id)).toMatchObject({
      fulfilmentPath: "central",
      fulfilmentHubId: demoFulfilment.centralHubId,
    });
  });
});

authorisationSuite("GET /v1/fulfilment-hubs/{id}", async (owner) => {
  const hub = await createHub(owner, { name: "H", kind: "central" });
  return (key) => api("GET", `/v1/fulfilment-hubs/${hub.id}`, key ? { key } : {});
});
authorisationSuite("PATCH /v1/fulfilment-hubs/{id}", async (owner) => {
  const hub = await createHub(owner, { name: "H", kind: "central" });
  return (key) =>
    api("PATCH", `/v1/fulfilment-hubs/${hub.id}`, { ...(key ? { key } : {}), body: { name: "Mine" } });
});
authorisationSuite(
  "GET /v1/fulfilment-hubs",
  async (owner) => {
    await createHub(owner, { name: "H", kind: "central" });
    return (key) => api("GET", "/v1/fulfilment-hubs", key ? { key } : {});
  },
  "empty_list",
);
authorisationSuite("GET /v1/fulfilment/batches", async (owner) => {
  const hub = await createHub(owner, { name: "H", kind: "central" });
  return (key) =>
    api(
      "GET",
      `/v1/fulfilment/batches?hub_id=${hub.id}&from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z`,
      key ? { key } : {},
    );
});
authorisationSuite("POST /v1/orders/{id}/fulfilment", async (owner) => {
  const { drop } = await physicalDrop(owner);
  const res = await buyFromDrop(drop, { shipping_address: londonAddress });
  return (key) =>
    api("POST", `/v1/orders/${res.body.order_id}/fulfilment`, {
      ...(key ? { key } : {}),
      body: { status: "packed" },
    });
});
