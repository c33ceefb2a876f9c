/**
 * The platform operator (docs/platform.md): its key alone opens /v1/operator/…; it creates creators with
 * their first secret key, lists and changes them, and suspends and reinstates them. A suspension
 * refuses the creator's keys and buyer routes and deletes nothing.
 */
import { env, exports } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app";
import { creators } from "../../src/db/schema";
import { generateOperatorKey } from "../../src/lib/api-keys";
import { api } from "../support/api";
import { createDrop, createOffer } from "../support/fixtures";
import { OPERATOR_KEY } from "../support/operator";
import { asOperator, operatorCreator, publishableKey } from "../support/operator-api";
import { buyer, quote } from "../support/quotes";
import { createTenant, db, tableCounts } from "../support/tenants";

const create = (body: unknown, headers: Record<string, string> = {}) =>
  asOperator("POST", "/v1/operator/creators", { body, headers });

const page = async (id: string) => {
  const res = await exports.default.fetch(`http://api.test/l/${id}`, { headers: { accept: "text/html" } });
  return { status: res.status, text: await res.text() };
};

describe("the operator key", () => {
  it.each([
    ["no Authorization header", undefined],
    ["a wrong operator key", generateOperatorKey()],
    ["a malformed header", "not-bearer"],
  ])("refuses %s with 401 and WWW-Authenticate", async (_, key) => {
    const headers: Record<string, string> =
      key === undefined ? {} : { authorization: key.startsWith("cc_op_") ? `Bearer ${key}` : key };
    const res = await api("GET", "/v1/operator/creators", { headers });
    expect(res.status).toBe(401);
    expect(res.body.type).toMatch(/unauthenticated$/);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
  });

  it("refuses a creator's secret key: creator keys are never operator keys", async () => {
    const tenant = await createTenant();
    const res = await api("GET", "/v1/operator/creators", { key: tenant.key });
    expect(res.status).toBe(401);
    expect(res.body.detail).toMatch(/operator's key/);
  });

  it("is refused on a creator's admin routes: the operator key is not a creator key", async () => {
    const res = await api("GET", "/v1/offers", { key: OPERATOR_KEY });
    expect(res.status).toBe(401);
  });

  it("says no operator key is configured when OPERATOR_KEY_SHA256 is unset, still 401", async () => {
    const app = buildApp();
    const res = await app.fetch(
      new Request("http://api.test/v1/operator/creators", {
        headers: { authorization: `Bearer ${OPERATOR_KEY}` },
      }),
      { ...env, OPERATOR_KEY_SHA256: undefined },
    );
    expect(res.status).toBe(401);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/no operator key is configured/i);
  });

  it("accepts either of two comma-separated hashes (a rotation's overlap)", async () => {
    const next = generateOperatorKey();
    const hash = async (k: string) =>
      Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(k))), (b) =>
        b.toString(16).padStart(2, "0"),
      ).join("");
    const both = { ...env, OPERATOR_KEY_SHA256: `${await hash(OPERATOR_KEY)},${await hash(next)}` };
    const app = buildApp();
    for (const key of [OPERATOR_KEY, next]) {
      const res = await app.fetch(
        new Request("http://api.test/v1/operator/creators?limit=1", {
          headers: { authorization: `Bearer ${key}` },
        }),
        both,
      );
      expect(res.status).toBe(200);
    }
  });
});

describe("creating creators", () => {
  it("answers the creator and a secret key that works on its admin routes at once", async () => {
    const res = await create({ name: "Second Creator", default_currency: "EUR", platform_fee_bps: 500 });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.creator).toMatchObject({
      object: "creator",
      name: "Second Creator",
      default_currency: "EUR",
      status: "active",
      suspended_at: null,
      suspension_reason: null,
      platform_fee_bps: 500,
      payout_account: null,
    });
    expect(res.body.api_key).toMatchObject({ object: "api_key", kind: "secret", scopes: ["*"] });
    expect(res.body.api_key.secret).toMatch(/^cc_sk_/);
    const offers = await api("GET", "/v1/offers", { key: res.body.api_key.secret });
    expect(offers.status).toBe(200);
    const offer = await createOffer({ creatorId: res.body.creator.id, key: res.body.api_key.secret });
    expect(offer.default_currency).toBeDefined();
    const auditOf = async (type: string, id: string) => {
      const audit = await api("GET", `/v1/audit-events?subject_type=${type}&subject_id=${id}`, {
        key: res.body.api_key.secret,
      });
      return audit.body.data.map((e: { action: string; actor: string }) => `${e.actor} ${e.action}`);
    };
    expect(await auditOf("creator", res.body.creator.id)).toEqual(["operator creator.created"]);
    expect(await auditOf("api_key", res.body.api_key.id)).toEqual(["operator api_key.created"]);
  });

  it("replays a retried create with the same Idempotency-Key: the same creator and secret, nothing new written", async () => {
    const headers = { "idempotency-key": `op-${crypto.randomUUID()}` };
    const body = { name: "Retried Creator", default_currency: "USD" };
    const first = await create(body, headers);
    expect(first.status).toBe(201);
    const before = await tableCounts();
    const again = await create(body, headers);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    expect(await tableCounts()).toEqual(before);
    expect((await api("GET", "/v1/offers", { key: again.body.api_key.secret })).status).toBe(200);
  });

  it("refuses the same Idempotency-Key with another body (422), writing nothing", async () => {
    const headers = { "idempotency-key": `op-${crypto.randomUUID()}` };
    expect((await create({ name: "One", default_currency: "USD" }, headers)).status).toBe(201);
    const before = await tableCounts();
    const other = await create({ name: "Two", default_currency: "USD" }, headers);
    expect(other.status).toBe(422);
    expect(other.body.type).toMatch(/idempotency-key-reused$/);
    expect(await tableCounts()).toEqual(before);
  });

  it("lands one creator when the same create races itself", async () => {
    const headers = { "idempotency-key": `op-${crypto.randomUUID()}` };
    const body = { name: "Raced Creator", default_currency: "USD" };
    const [a, b] = await Promise.all([create(body, headers), create(body, headers)]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.creator.id).toBe(b.body.creator.id);
    expect(a.body.api_key.secret).toBe(b.body.api_key.secret);
    const rows = await db.select().from(creators).where(eq(creators.id, a.body.creator.id));
    expect(rows).toHaveLength(1);
  });

  it.each([
    ["an unknown field", { name: "X", default_currency: "USD", owner: "me" }, 422],
    ["a lower-case currency", { name: "X", default_currency: "usd" }, 422],
    ["a currency ISO 4217 does not know", { name: "X", default_currency: "ZZZ" }, 422],
    ["no name", { default_currency: "USD" }, 422],
    ["a blank name", { name: "  ", default_currency: "USD" }, 422],
    ["a fee over 5000 bps", { name: "X", default_currency: "USD", platform_fee_bps: 5001 }, 422],
    ["a negative fee", { name: "X", default_currency: "USD", platform_fee_bps: -1 }, 422],
    ["a fractional fee", { name: "X", default_currency: "USD", platform_fee_bps: 2.5 }, 422],
  ])("refuses %s with 422, writing nothing", async (_, body, status) => {
    const before = await tableCounts();
    const res = await create(body);
    expect(res.status).toBe(status);
    expect(await tableCounts()).toEqual(before);
  });

  it("refuses a body that is not JSON with 400, writing nothing", async () => {
    const before = await tableCounts();
    const res = await api("POST", "/v1/operator/creators", {
      key: OPERATOR_KEY,
      raw: "{not json",
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(400);
    expect(await tableCounts()).toEqual(before);
  });

  it("accepts the fee's bounds, 0 and 5000", async () => {
    for (const fee of [0, 5000]) {
      const res = await create({ name: `Fee ${fee}`, default_currency: "USD", platform_fee_bps: fee });
      expect(res.status).toBe(201);
      expect(res.body.creator.platform_fee_bps).toBe(fee);
    }
  });
});

describe("reading and changing creators", () => {
  it("gets a creator by id, 404 for an unknown one", async () => {
    const { creatorId } = await operatorCreator({ name: "Readable" });
    const res = await asOperator("GET", `/v1/operator/creators/${creatorId}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: creatorId, name: "Readable", status: "active" });
    expect((await asOperator("GET", "/v1/operator/creators/cre_nobody")).status).toBe(404);
  });

  it("lists creators newest first through cursors, filtered by status", async () => {
    const made = [await operatorCreator(), await operatorCreator(), await operatorCreator()];
    const first = await asOperator("GET", "/v1/operator/creators?limit=2");
    expect(first.status).toBe(200);
    expect(first.body.has_more).toBe(true);
    const second = await asOperator("GET", `/v1/operator/creators?limit=2&cursor=${first.body.next_cursor}`);
    const ids = [...first.body.data, ...second.body.data].map((c: { id: string }) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.slice(0, 3)).toEqual(made.map((m) => m.creatorId).reverse());
    await asOperator("POST", `/v1/operator/creators/${made[1]?.creatorId}/suspend`, {
      body: { reason: "review" },
    });
    const suspended = await asOperator("GET", "/v1/operator/creators?status=suspended&limit=100");
    const suspendedIds = suspended.body.data.map((c: { id: string }) => c.id);
    expect(suspendedIds).toContain(made[1]?.creatorId);
    expect(suspendedIds).not.toContain(made[0]?.creatorId);
    expect(suspended.body.data.every((c: { status: string }) => c.status === "suspended")).toBe(true);
    expect((await asOperator("GET", "/v1/operator/creators?status=gone")).status).toBe(422);
  });

  it("patches the name and the fee, null removing it; bounds are enforced", async () => {
    const { creatorId } = await operatorCreator({ platform_fee_bps: 300 });
    const path = `/v1/operator/creators/${creatorId}`;
    const renamed = await asOperator("PATCH", path, { body: { name: "Renamed", platform_fee_bps: 5000 } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: "Renamed", platform_fee_bps: 5000 });
    const cleared = await asOperator("PATCH", path, { body: { platform_fee_bps: null } });
    expect(cleared.body.platform_fee_bps).toBeNull();
    const before = await tableCounts();
    for (const body of [{ platform_fee_bps: 5001 }, { platform_fee_bps: -5 }, {}, { status: "active" }]) {
      expect((await asOperator("PATCH", path, { body })).status, JSON.stringify(body)).toBe(422);
    }
    expect(await tableCounts()).toEqual(before);
    expect(
      (await asOperator("PATCH", "/v1/operator/creators/cre_nobody", { body: { name: "x" } })).status,
    ).toBe(404);
  });
});

describe("suspension", () => {
  async function shop() {
    const creator = await operatorCreator({ name: "Suspendable" });
    const tenant = { creatorId: creator.creatorId, key: creator.key };
    const drop = await createDrop(tenant, { stock: 10 });
    const link = await api("POST", "/v1/links", {
      key: tenant.key,
      body: { offer_id: drop.offer_id, drop_id: drop.id },
    });
    expect(link.status).toBe(201);
    return {
      tenant,
      drop,
      linkId: link.body.id as string,
      publishable: await publishableKey(tenant.creatorId),
    };
  }

  const everything = async (s: Awaited<ReturnType<typeof shop>>) => ({
    admin: await api("GET", "/v1/offers", { key: s.tenant.key }),
    quote: await quote({ offer_id: s.drop.offer_id, drop_id: s.drop.id }),
    publishable: await quote({ offer_id: s.drop.offer_id, drop_id: s.drop.id }, buyer(), s.publishable),
    hold: await api("POST", `/v1/drops/${s.drop.id}/holds`, {
      headers: { ...buyer(), "idempotency-key": crypto.randomUUID() },
      body: { quantity: 1 },
    }),
    queue: await api("POST", `/v1/drops/${s.drop.id}/queue`, { headers: buyer() }),
    page: await page(s.linkId),
  });

  it("refuses the creator's key, quotes, publishable key, holds, queue and link page with 403; reinstating restores them all", async () => {
    const s = await shop();
    const before = await everything(s);
    expect([before.admin.status, before.quote.status, before.publishable.status, before.hold.status]).toEqual(
      [200, 201, 201, 201],
    );
    expect(before.page.status).toBe(200);
    const path = `/v1/operator/creators/${s.tenant.creatorId}`;
    const suspended = await asOperator("POST", `${path}/suspend`, {
      body: { reason: "chargebacks under review" },
    });
    expect(suspended.status).toBe(200);
    expect(suspended.body).toMatchObject({
      status: "suspended",
      suspension_reason: "chargebacks under review",
    });
    expect(suspended.body.suspended_at).toEqual(expect.any(String));

    const during = await everything(s);
    const { page: closed, ...routes } = during;
    for (const [name, res] of Object.entries(routes)) {
      expect(res.status, `${name} ${JSON.stringify(res.body)}`).toBe(403);
      expect(res.body.type).toMatch(/creator-suspended$/);
    }
    expect(closed.status).toBe(403);
    expect(closed.text).toContain("This shop is unavailable");

    const reinstated = await asOperator("POST", `${path}/reinstate`);
    expect(reinstated.status).toBe(200);
    expect(reinstated.body).toMatchObject({ status: "active", suspended_at: null, suspension_reason: null });
    const after = await everything(s);
    expect([after.admin.status, after.quote.status, after.publishable.status, after.hold.status]).toEqual([
      200, 201, 201, 201,
    ]);
    expect(after.page.status).toBe(200);
  });

  it("deletes nothing: suspend and reinstate add two audit rows and change no other count", async () => {
    const s = await shop();
    const path = `/v1/operator/creators/${s.tenant.creatorId}`;
    const before = await tableCounts();
    await asOperator("POST", `${path}/suspend`, { body: { reason: "review" } });
    const during = await tableCounts();
    expect(during).toEqual({ ...before, audit_events: (before.audit_events ?? 0) + 1 });
    await asOperator("POST", `${path}/reinstate`, { body: {} });
    expect(await tableCounts()).toEqual({ ...before, audit_events: (before.audit_events ?? 0) + 2 });
    const audit = await api("GET", `/v1/audit-events?subject_type=creator&subject_id=${s.tenant.creatorId}`, {
      key: s.tenant.key,
    });
    const actions = audit.body.data.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["creator.suspended", "creator.reinstated"]));
  });

  it("a second suspend is 409 and keeps the first one's time and reason; reinstating an active creator is 409", async () => {
    const s = await shop();
    const path = `/v1/operator/creators/${s.tenant.creatorId}`;
    const first = await asOperator("POST", `${path}/suspend`, { body: { reason: "first" } });
    const before = await tableCounts();
    const second = await asOperator("POST", `${path}/suspend`, { body: { reason: "second" } });
    expect(second.status).toBe(409);
    expect(await tableCounts()).toEqual(before);
    const now = await asOperator("GET", path);
    expect(now.body).toMatchObject({ suspended_at: first.body.suspended_at, suspension_reason: "first" });
    expect((await asOperator("POST", `${path}/reinstate`)).status).toBe(200);
    expect((await asOperator("POST", `${path}/reinstate`)).status).toBe(409);
  });

  it("refuses a suspend without a reason, or of an unknown creator", async () => {
    const s = await shop();
    const path = `/v1/operator/creators/${s.tenant.creatorId}`;
    expect((await asOperator("POST", `${path}/suspend`, { body: {} })).status).toBe(422);
    expect((await asOperator("POST", `${path}/suspend`, { body: { reason: "x", extra: 1 } })).status).toBe(
      422,
    );
    expect(
      (await asOperator("POST", "/v1/operator/creators/cre_nobody/suspend", { body: { reason: "x" } }))
        .status,
    ).toBe(404);
    expect((await asOperator("GET", path)).body.status).toBe("active");
  });

  it("an existing quote for a suspended creator's drop is refused at checkout, nothing held", async () => {
    const s = await shop();
    const quoted = await quote({ offer_id: s.drop.offer_id, drop_id: s.drop.id }, buyer("suspended-buyer-1"));
    expect(quoted.status).toBe(201);
    await asOperator("POST", `/v1/operator/creators/${s.tenant.creatorId}/suspend`, {
      body: { reason: "x" },
    });
    const before = await tableCounts();
    const res = await api("POST", "/v1/checkouts", {
      body: { quote: quoted.body.token, email: "fan@example.test", payment_method: "4242424242424242" },
      headers: { "buyer-id": "suspended-buyer-1", "idempotency-key": crypto.randomUUID() },
    });
    expect(res.status).toBe(403);
    expect(res.body.type).toMatch(/creator-suspended$/);
    expect(await tableCounts()).toEqual(before);
  });

  it("another creator is not affected by a suspension", async () => {
    const [a, b] = [await shop(), await shop()];
    await asOperator("POST", `/v1/operator/creators/${a.tenant.creatorId}/suspend`, {
      body: { reason: "x" },
    });
    expect((await api("GET", "/v1/offers", { key: b.tenant.key })).status).toBe(200);
    expect((await quote({ offer_id: b.drop.offer_id, drop_id: b.drop.id })).status).toBe(201);
    expect((await page(b.linkId)).status).toBe(200);
  });
});
