/**
 * A publishable key (cc_pk_…) sits in a creator's page source, so anyone has it. On buyer routes it
 * only names the creator the request must belong to; it unlocks nothing a secret key would.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, type Json } from "../support/api";
import { createDrop } from "../support/fixtures";
import { publishableKey } from "../support/operator-api";
import { buyer, insertMember, quote } from "../support/quotes";
import { createTenant, type Tenant, tableCounts } from "../support/tenants";

const SHOP = "https://shop.example.com";

async function shop(): Promise<{ tenant: Tenant; drop: Json; pk: string }> {
  const tenant = await createTenant();
  const drop = await createDrop(tenant, { stock: 10 });
  return { tenant, drop, pk: await publishableKey(tenant.creatorId) };
}

const hold = (dropId: string, key: string) =>
  api("POST", `/v1/drops/${dropId}/holds`, {
    key,
    headers: { ...buyer(), "idempotency-key": crypto.randomUUID() },
    body: { quantity: 1 },
  });
const join = (dropId: string, key: string) =>
  api("POST", `/v1/drops/${dropId}/queue`, { key, headers: buyer() });

describe("a publishable key names its creator on buyer routes", () => {
  it("creator A's key naming creator B's offer is 404 on quotes, as an unknown offer is; A's own offer quotes", async () => {
    const [a, b] = [await shop(), await shop()];
    const other = await quote({ offer_id: b.drop.offer_id, drop_id: b.drop.id }, buyer(), a.pk);
    expect(other.status).toBe(404);
    expect(other.body.type).toMatch(/not-found$/);
    const own = await quote({ offer_id: a.drop.offer_id, drop_id: a.drop.id }, buyer(), a.pk);
    expect(own.status).toBe(201);
  });

  it("creator A's key on creator B's drop is 404 on holds and the queue, writing nothing; A's own drop holds", async () => {
    const [a, b] = [await shop(), await shop()];
    const before = await tableCounts();
    const refused = [await hold(b.drop.id, a.pk), await join(b.drop.id, a.pk)];
    for (const res of refused) {
      expect(res.status).toBe(404);
      expect(res.body.type).toMatch(/not-found$/);
    }
    expect(await tableCounts()).toEqual(before);
    expect((await hold(a.drop.id, a.pk)).status).toBe(201);
    // The queue is off on this drop: A's key gets past the owner check to the drop's own answer.
    expect((await join(a.drop.id, a.pk)).status).toBe(409);
  });

  it("creator A's key with creator B's quote is 404 at checkout, before any key is claimed", async () => {
    const [a, b] = [await shop(), await shop()];
    const buyerId = crypto.randomUUID();
    const quoted = await quote({ offer_id: b.drop.offer_id, drop_id: b.drop.id }, buyer(buyerId));
    expect(quoted.status).toBe(201);
    const before = await tableCounts();
    const res = await api("POST", "/v1/checkouts", {
      key: a.pk,
      body: { quote: quoted.body.token, email: "fan@example.test" },
      headers: { "buyer-id": buyerId, "idempotency-key": crypto.randomUUID() },
    });
    expect(res.status).toBe(404);
    expect(res.body.type).toMatch(/not-found$/);
    expect(await tableCounts()).toEqual(before);
  });

  it("a publishable key is refused on admin routes with 403 insufficient_scope", async () => {
    const a = await shop();
    for (const [method, path] of [
      ["GET", "/v1/offers"],
      ["POST", "/v1/offers"],
      ["GET", "/v1/orders"],
    ] as const) {
      const res = await api(method, path, { key: a.pk, ...(method === "POST" ? { body: {} } : {}) });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.type).toMatch(/insufficient-scope$/);
    }
  });

  it("a publishable key does not stand in for the secret key's member_id: the caller is priced as a buyer", async () => {
    const a = await shop();
    const memberId = await insertMember(a.tenant, null);
    const asSecret = await quote(
      { offer_id: a.drop.offer_id, drop_id: a.drop.id, member_id: memberId },
      {},
      a.tenant.key,
    );
    expect(asSecret.status).toBe(201);
    const asPublishable = await quote(
      { offer_id: a.drop.offer_id, drop_id: a.drop.id, member_id: memberId },
      {},
      a.pk,
    );
    expect(asPublishable.status).toBe(401);
  });

  it("a made-up or revoked-looking publishable key is 401, never anonymous", async () => {
    const a = await shop();
    const res = await quote(
      { offer_id: a.drop.offer_id, drop_id: a.drop.id },
      buyer(),
      "cc_pk_0000000000000000000000000000000000000000",
    );
    expect(res.status).toBe(401);
  });

  it("a browser on an allowed origin may send the key: the preflight allows Authorization on buyer routes", async () => {
    const a = await shop();
    expect(
      (await api("PUT", "/v1/allowed-origins", { key: a.tenant.key, body: { origins: [SHOP] } })).status,
    ).toBe(200);
    for (const [method, path] of [
      ["POST", "/v1/quotes"],
      ["POST", `/v1/drops/${a.drop.id}/holds`],
      ["POST", `/v1/drops/${a.drop.id}/queue`],
      ["POST", "/v1/checkouts"],
    ] as const) {
      const res = await exports.default.fetch(
        new Request(`http://api.test${path}`, {
          method: "OPTIONS",
          headers: {
            origin: SHOP,
            "access-control-request-method": method,
            "access-control-request-headers": "authorization, content-type",
          },
        }),
      );
      expect(res.status, path).toBe(204);
      expect(res.headers.get("access-control-allow-headers")).toMatch(/\bauthorization\b/);
    }
    const quoted = await quote(
      { offer_id: a.drop.offer_id, drop_id: a.drop.id },
      { ...buyer(), origin: SHOP },
      a.pk,
    );
    expect(quoted.status).toBe(201);
    expect(quoted.headers.get("access-control-allow-origin")).toBe(SHOP);
  });
});
