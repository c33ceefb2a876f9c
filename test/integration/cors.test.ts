import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, type Json } from "../support/api";
import { checkout, quotedDrop } from "../support/checkouts";
import { createDrop } from "../support/fixtures";
import { buyer, quote } from "../support/quotes";
import { createTenant, type Tenant, tableCounts } from "../support/tenants";

const SHOP = "https://shop.example.com";
const ELSEWHERE = "https://scalper.example.net";

const allow = async (tenant: Tenant, origins: string[]) => {
  const res = await api("PUT", "/v1/allowed-origins", { key: tenant.key, body: { origins } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as Json;
};

/** A browser's preflight: it carries no body and no credentials, only what the page will send. */
const preflight = (path: string, origin: string, method: string, headers: string) =>
  exports.default.fetch(
    new Request(`http://api.test${path}`, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": method,
        "access-control-request-headers": headers,
      },
    }),
  );

const PROBLEM = "https://creator-commerce.dev/problems/origin-not-allowed";

describe("CORS on public buyer routes, decided per creator", () => {
  it("lets a page on an origin the creator allows quote and read the answer", async () => {
    const tenant = await createTenant();
    await allow(tenant, [SHOP]);
    const drop = await createDrop(tenant, { stock: 5 });
    const res = await quote({ offer_id: drop.offer_id, drop_id: drop.id }, { ...buyer(), origin: SHOP });
    expect(res.status).toBe(201);
    expect(res.headers.get("access-control-allow-origin")).toBe(SHOP);
    expect(res.headers.get("vary")).toContain("Origin");
    expect(res.headers.get("access-control-expose-headers")).toContain("request-id");
  });

  it("refuses a checkout from an origin the creator did not allow, before anything is written", async () => {
    const tenant = await createTenant();
    await allow(tenant, [SHOP]);
    const buyerId = crypto.randomUUID();
    const { quote: quoted } = await quotedDrop(tenant, buyerId);
    const before = await tableCounts();
    const res = await api("POST", "/v1/checkouts", {
      body: { quote: quoted.token, email: "fan@example.com", payment_method: "4242424242424242" },
      headers: { "buyer-id": buyerId, "idempotency-key": crypto.randomUUID(), origin: ELSEWHERE },
    });
    expect(res.status).toBe(403);
    expect(res.body.type).toBe(PROBLEM);
    // Readable by the refused page, so its developer sees why; nothing else is.
    expect(res.headers.get("access-control-allow-origin")).toBe(ELSEWHERE);
    expect(await tableCounts()).toEqual(before);
  });

  it("does not open one creator's routes to an origin another creator allows", async () => {
    const [victim, rival] = [await createTenant(), await createTenant()];
    await allow(rival, [ELSEWHERE]);
    const drop = await createDrop(victim, { stock: 5 });
    // The preflight cannot name a creator, so it passes for an origin some creator allows…
    const pre = await preflight("/v1/quotes", ELSEWHERE, "POST", "content-type, buyer-id");
    expect(pre.status).toBe(204);
    // …and the request itself is decided for the creator it names.
    const res = await quote({ offer_id: drop.offer_id, drop_id: drop.id }, { ...buyer(), origin: ELSEWHERE });
    expect(res.status).toBe(403);
    expect(res.body.type).toBe(PROBLEM);
  });

  it("leaves servers (no Origin) and the worker's own pages (same origin) alone", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 5 });
    const body = { offer_id: drop.offer_id, drop_id: drop.id };
    const server = await quote(body);
    const own = await quote(body, { ...buyer(), origin: "http://api.test" });
    expect([server.status, own.status]).toEqual([201, 201]);
    expect(own.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("applies the creator's change at once in this location, and only to that creator", async () => {
    const [tenant, other] = [await createTenant(), await createTenant()];
    await allow(other, [SHOP]);
    const drop = await createDrop(tenant, { stock: 5 });
    const body = { offer_id: drop.offer_id, drop_id: drop.id };
    expect((await quote(body, { ...buyer(), origin: SHOP })).status).toBe(403);
    await allow(tenant, [SHOP]);
    expect((await quote(body, { ...buyer(), origin: SHOP })).status).toBe(201);
    await allow(tenant, []);
    expect((await quote(body, { ...buyer(), origin: SHOP })).status).toBe(403);
    const otherList = await api("GET", "/v1/allowed-origins", { key: other.key });
    expect(otherList.body.origins).toEqual([SHOP]);
  });

  it("answers the routes a checkout page reads by the checkout's creator (read, confirm)", async () => {
    const tenant = await createTenant();
    await allow(tenant, [SHOP]);
    const buyerId = crypto.randomUUID();
    const { quote: quoted } = await quotedDrop(tenant, buyerId);
    const created = await checkout({ quote: quoted.token, email: "fan@example.com" }, { buyerId });
    expect(created.status).toBe(201);
    const read = await api("GET", `/v1/checkouts/${created.body.id}`, {
      headers: { "checkout-secret": created.body.secret, origin: SHOP },
    });
    expect(read.status).toBe(200);
    expect(read.headers.get("access-control-allow-origin")).toBe(SHOP);
    const refused = await api("POST", `/v1/checkouts/${created.body.id}/confirm`, {
      body: { payment_method: "4242424242424242" },
      headers: { "checkout-secret": created.body.secret, origin: ELSEWHERE },
    });
    expect(refused.status).toBe(403);
    const again = await api("GET", `/v1/checkouts/${created.body.id}`, {
      headers: { "checkout-secret": created.body.secret },
    });
    expect(again.body.status).not.toBe("paid");
  });
});

describe("preflights", () => {
  it.each([
    ["/v1/quotes", "POST", "content-type, buyer-id, buyer-country"],
    ["/v1/checkouts", "POST", "content-type, buyer-id, idempotency-key"],
    ["/v1/checkouts/chk_x", "GET", "checkout-secret"],
    ["/v1/checkouts/chk_x/confirm", "POST", "content-type, checkout-secret"],
    ["/v1/drops/drp_x/holds", "POST", "content-type, buyer-id, idempotency-key"],
    ["/v1/drops/drp_x/holds/hld_x", "DELETE", "buyer-id"],
    ["/v1/entitlements/token", "POST", "content-type, idempotency-key"],
    ["/v1/me/subscriptions", "GET", "authorization"],
  ])("answers %s %s with %s for an origin a creator allows", async (path, method, headers) => {
    await allow(await createTenant(), [SHOP]);
    const res = await preflight(path, SHOP, method, headers);
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(SHOP);
    expect(res.headers.get("access-control-allow-methods")).toContain(method);
    const allowed = (res.headers.get("access-control-allow-headers") ?? "").split(", ");
    for (const header of headers.split(", ")) expect(allowed).toContain(header);
    expect(Number(res.headers.get("access-control-max-age"))).toBeGreaterThan(0);
  });

  it("refuses a preflight from an origin no creator allows, without CORS headers", async () => {
    const res = await preflight(
      "/v1/quotes",
      "https://nobody-allows-this.example.org",
      "POST",
      "content-type",
    );
    expect(res.status).toBe(403);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });

  it("refuses a preflight for a method the public route does not have", async () => {
    await allow(await createTenant(), [SHOP]);
    const res = await preflight("/v1/quotes", SHOP, "DELETE", "content-type");
    expect(res.status).toBe(403);
  });

  it("answers 404 for a path that is no route", async () => {
    const res = await preflight("/v1/nothing-here", SHOP, "GET", "content-type");
    expect(res.status).toBe(404);
  });
});

describe("public data answers every origin", () => {
  it("serves stock and JWKS with Access-Control-Allow-Origin: *", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 5 });
    for (const path of [`/v1/drops/${drop.id}/stock`, "/.well-known/jwks.json"]) {
      const res = await api("GET", path, { headers: { origin: ELSEWHERE } });
      expect(res.status).toBe(200);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      const pre = await preflight(path, ELSEWHERE, "GET", "");
      expect(pre.status).toBe(204);
      expect(pre.headers.get("access-control-allow-origin")).toBe("*");
    }
  });
});

describe("admin routes never answer browsers on other origins", () => {
  it("refuses an admin call from another origin even with a valid key, and sends no CORS headers", async () => {
    const tenant = await createTenant();
    await allow(tenant, [SHOP]);
    const before = await tableCounts();
    for (const [method, path, body] of [
      ["GET", "/v1/offers", undefined],
      ["POST", "/v1/offers", { kind: "one_time", name: "x", prices: [{ currency: "USD", amount: 100 }] }],
      ["PUT", "/v1/allowed-origins", { origins: [ELSEWHERE] }],
    ] as const) {
      const res = await api(method, path, { key: tenant.key, body, headers: { origin: SHOP } });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.type).toBe(PROBLEM);
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
    }
    expect(await tableCounts()).toEqual(before);
  });

  it("refuses an admin route's preflight, even for an origin the creator allows", async () => {
    await allow(await createTenant(), [SHOP]);
    for (const path of ["/v1/offers", "/v1/allowed-origins", "/v1/orders/ord_x/refund"]) {
      const res = await preflight(path, SHOP, "POST", "authorization, content-type");
      expect(res.status, path).toBe(403);
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
    }
  });
});

describe("PUT /v1/allowed-origins", () => {
  it.each([
    ["a path", ["https://shop.example.com/page"]],
    ["a trailing slash", ["https://shop.example.com/"]],
    ["upper case", ["https://Shop.example.com"]],
    ["plain http on a public host", ["http://shop.example.com"]],
    ["a wildcard", ["https://*.example.com"]],
    ["null", ["null"]],
    ["a duplicate", [SHOP, SHOP]],
  ])("refuses %s with 422 and writes nothing", async (_, origins) => {
    const tenant = await createTenant();
    const before = await tableCounts();
    const res = await api("PUT", "/v1/allowed-origins", { key: tenant.key, body: { origins } });
    expect(res.status).toBe(422);
    expect(await tableCounts()).toEqual(before);
  });

  it("refuses unknown fields", async () => {
    const tenant = await createTenant();
    const res = await api("PUT", "/v1/allowed-origins", {
      key: tenant.key,
      body: { origins: [SHOP], wildcard: true },
    });
    expect(res.status).toBe(422);
  });

  it("replaces the list whole, sorted, with an audit row per change", async () => {
    const tenant = await createTenant();
    await allow(tenant, ["http://localhost:8080", SHOP]);
    const body = await allow(tenant, [SHOP, "https://b.example.com"]);
    expect(body).toEqual({ object: "allowed_origins", origins: ["https://b.example.com", SHOP] });
    const read = await api("GET", "/v1/allowed-origins", { key: tenant.key });
    expect(read.body.origins).toEqual(["https://b.example.com", SHOP]);
  });
});
