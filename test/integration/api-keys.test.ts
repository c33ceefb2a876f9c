/**
 * A creator's API keys (docs/keys.md) through the real worker: create (secret shown once), list and
 * read (never a secret or a hash), rotate with an overlap on a clock the test moves, revoke at once,
 * tenancy, the key kinds at the door, the dashboard's sign-in, the rate limit a kind counts under, and
 * last_used_at written at most once a minute.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app";
import { apiKeys, auditEvents, creators } from "../../src/db/schema";
import { newKey } from "../../src/keys/store";
import { hashApiKey } from "../../src/lib/api-keys";
import { api, type Json } from "../support/api";
import { authorisationSuite } from "../support/auth-suite";
import { cookieOf, postSignIn, withCookie } from "../support/dashboard";
import { createKey, createTenant, db, type Tenant } from "../support/tenants";

const problem = (code: string) => `https://creator-commerce.dev/problems/${code}`;

/** The real app on a clock the test moves; each call waits for its waitUntil work (last_used_at). */
function worker(start = Date.now()) {
  let now = start;
  const app = buildApp({ clock: { now: () => now } });
  const call = async (
    method: string,
    path: string,
    options: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; headers: Headers; body: Json }> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request(`http://api.test${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      }),
      env,
      ctx,
    );
    const text = await res.text();
    await waitOnExecutionContext(ctx);
    return {
      status: res.status,
      headers: res.headers,
      body: /json/.test(res.headers.get("content-type") ?? "") ? JSON.parse(text) : text,
    };
  };
  return { call, advance: (ms: number) => (now += ms), now: () => now };
}

const keyRow = async (id: string) => {
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.id, id));
  if (row === undefined) throw new Error(`no key ${id}`);
  return row;
};
const creatorKeyCount = async (tenant: Tenant) =>
  (await db.select().from(apiKeys).where(eq(apiKeys.creatorId, tenant.creatorId))).length;
const auditActions = async (subjectId: string) =>
  (await db.select().from(auditEvents).where(eq(auditEvents.subjectId, subjectId))).map((e) => e.action);

describe("creating keys", () => {
  it("shows a secret key's secret once: the list and the read carry neither it nor its hash", async () => {
    const tenant = await createTenant();
    const res = await api("POST", "/v1/api-keys", {
      key: tenant.key,
      body: { name: "Server", kind: "secret" },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      object: "api_key",
      name: "Server",
      kind: "secret",
      scopes: ["*"],
      last_used_at: null,
      expires_at: null,
      revoked_at: null,
      replaced_by: null,
    });
    const secret = res.body.secret as string;
    expect(secret).toMatch(/^cc_sk_[a-z0-9]{40}$/);
    expect(res.body.prefix).toBe(secret.slice(0, 10));
    // The new key works at once.
    const listed = await api("GET", "/v1/api-keys", { key: secret });
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((k: Json) => k.id)).toContain(res.body.id);
    const one = await api("GET", `/v1/api-keys/${res.body.id}`, { key: tenant.key });
    expect(one.status).toBe(200);
    const hash = await hashApiKey(secret);
    for (const text of [JSON.stringify(listed.body), JSON.stringify(one.body)]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(hash);
      expect(text).not.toContain('"secret":');
      expect(text).not.toContain('"hash":');
    }
    // Only the SHA-256 is stored, and the audit row has no secret either.
    expect((await keyRow(res.body.id)).hash).toBe(hash);
    const [audit] = await db.select().from(auditEvents).where(eq(auditEvents.subjectId, res.body.id));
    expect(audit).toMatchObject({ action: "api_key.created", actor: expect.stringMatching(/^api_key:key_/) });
    expect(audit?.data).not.toContain(secret);
  });

  it("makes restricted keys with their scopes and publishable keys with none, each with its own prefix", async () => {
    const tenant = await createTenant();
    const restricted = await api("POST", "/v1/api-keys", {
      key: tenant.key,
      body: { name: "Reports", kind: "restricted", scopes: ["reports:read", "orders:write"] },
    });
    expect(restricted).toMatchObject({
      status: 201,
      body: { kind: "restricted", scopes: ["reports:read", "orders:write"] },
    });
    expect(restricted.body.secret).toMatch(/^cc_rk_/);
    const publishable = await api("POST", "/v1/api-keys", {
      key: tenant.key,
      body: { name: "Widget", kind: "publishable" },
    });
    expect(publishable).toMatchObject({ status: 201, body: { kind: "publishable", scopes: [] } });
    expect(publishable.body.secret).toMatch(/^cc_pk_/);
    // The restricted key reads orders (write implies read) and nothing outside its scopes.
    expect((await api("GET", "/v1/orders", { key: restricted.body.secret })).status).toBe(200);
    const offers = await api("GET", "/v1/offers", { key: restricted.body.secret });
    expect(offers).toMatchObject({ status: 403, body: { type: problem("insufficient-scope") } });
    expect(offers.body.detail).toContain("catalog:read");
  });

  it("replays a create under the same Idempotency-Key with the same key and secret, and makes one key", async () => {
    const tenant = await createTenant();
    const headers = { "idempotency-key": crypto.randomUUID() };
    const body = { name: "Retry me", kind: "restricted", scopes: ["orders:read"] };
    const first = await api("POST", "/v1/api-keys", { key: tenant.key, body, headers });
    const again = await api("POST", "/v1/api-keys", { key: tenant.key, body, headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    expect(again.body.sealed_secret).toBeUndefined();
    expect(await creatorKeyCount(tenant)).toBe(2);
    // The stored answer holds the secret only sealed: the idempotency row never has it in the clear.
    const stored = await env.DB.prepare("SELECT response_body FROM idempotency_keys WHERE key = ?")
      .bind(headers["idempotency-key"])
      .first<{ response_body: string }>();
    expect(stored?.response_body).toBeTruthy();
    expect(stored?.response_body).not.toContain(first.body.secret);
    // Another of the creator's keys cannot open it: told so, and still no second key.
    const other = await createKey(tenant, "secret");
    const stranger = await api("POST", "/v1/api-keys", { key: other.key, body, headers });
    expect(stranger).toMatchObject({ status: 409, body: { type: problem("conflict") } });
    expect(JSON.stringify(stranger.body)).not.toContain(first.body.secret);
    expect(await creatorKeyCount(tenant)).toBe(3);
  });

  it.each([
    ["a restricted key without scopes", { name: "x", kind: "restricted" }, "/scopes"],
    ["a restricted key with no scopes", { name: "x", kind: "restricted", scopes: [] }, "/scopes"],
    ["scopes on a secret key", { name: "x", kind: "secret", scopes: ["orders:read"] }, "/scopes"],
    ["scopes on a publishable key", { name: "x", kind: "publishable", scopes: ["orders:read"] }, "/scopes"],
    [
      "a scope that does not exist",
      { name: "x", kind: "restricted", scopes: ["orders:delete"] },
      "/scopes/0",
    ],
    ["the wildcard as a scope", { name: "x", kind: "restricted", scopes: ["*"] }, "/scopes/0"],
    [
      "a repeated scope",
      { name: "x", kind: "restricted", scopes: ["orders:read", "orders:read"] },
      "/scopes",
    ],
    ["an unknown kind", { name: "x", kind: "admin" }, "/kind"],
    ["no name", { kind: "secret" }, "/name"],
    ["an empty name", { name: "  ", kind: "secret" }, "/name"],
    ["a name over 100 characters", { name: "n".repeat(101), kind: "secret" }, "/name"],
    ["an unknown field", { name: "x", kind: "secret", hash: "chosen" }, "/hash"],
  ])("refuses %s with 422 and makes no key", async (_, body, path) => {
    const tenant = await createTenant();
    const res = await api("POST", "/v1/api-keys", { key: tenant.key, body });
    expect(res).toMatchObject({ status: 422, body: { type: problem("validation-failed") } });
    expect(res.body.errors.map((e: Json) => e.path)).toContain(path);
    expect(await creatorKeyCount(tenant)).toBe(1);
  });

  it.each(["restricted", "publishable"] as const)(
    "refuses a %s key every key route (403): it cannot mint a wider key",
    async (kind) => {
      const tenant = await createTenant();
      const own = await createKey(
        tenant,
        kind,
        kind === "restricted"
          ? ["catalog:write", "orders:write", "reports:write", "webhooks:write"]
          : undefined,
      );
      for (const [method, path, body] of [
        ["POST", "/v1/api-keys", { name: "wider", kind: "secret" }],
        ["GET", "/v1/api-keys", undefined],
        ["GET", `/v1/api-keys/${own.id}`, undefined],
        ["POST", `/v1/api-keys/${own.id}/rotate`, {}],
        ["DELETE", `/v1/api-keys/${own.id}`, undefined],
      ] as const) {
        const res = await api(method, path, { key: own.key, body });
        expect(res, `${method} ${path}`).toMatchObject({
          status: 403,
          body: { type: problem("insufficient-scope") },
        });
      }
      expect(await creatorKeyCount(tenant)).toBe(2);
      expect((await keyRow(own.id)).revokedAt).toBeNull();
    },
  );

  it("refuses a key whose text claims another kind than its row (a publishable row sent as cc_sk_)", async () => {
    const tenant = await createTenant();
    // A row stored as publishable whose text says secret: the text must never lift the row's kind.
    const forged = `cc_sk_${crypto.randomUUID().replaceAll("-", "").slice(0, 32)}abcdefgh`;
    const { write } = await newKey(db, {
      creatorId: tenant.creatorId,
      name: "odd",
      kind: "publishable",
      secret: forged,
      now: Date.now(),
    });
    await write;
    expect((await api("GET", "/v1/api-keys", { key: forged })).status).toBe(401);
    // And a real publishable key rewritten as a restricted one is unknown (another text, another hash).
    const publishable = await createKey(tenant, "publishable");
    const relabelled = publishable.key.replace("cc_pk_", "cc_rk_");
    expect((await api("GET", "/v1/orders", { key: relabelled })).status).toBe(401);
  });
});

describe("listing keys", () => {
  it("pages through every key newest first with the cursor, revoked and rotated ones included", async () => {
    const tenant = await createTenant();
    const revoked = await createKey(tenant, "restricted", ["pos:read"]);
    expect((await api("DELETE", `/v1/api-keys/${revoked.id}`, { key: tenant.key })).status).toBe(200);
    const publishable = await createKey(tenant, "publishable");
    const seen: Json[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? "?limit=1" : `?limit=1&cursor=${encodeURIComponent(cursor)}`;
      const page = await api("GET", `/v1/api-keys${query}`, { key: tenant.key });
      expect(page.status).toBe(200);
      expect(page.body.data).toHaveLength(1);
      seen.push(...page.body.data);
      cursor = page.body.next_cursor;
    } while (cursor !== null);
    expect(seen.map((k) => k.id)).toContain(revoked.id);
    expect(seen.map((k) => k.id)).toContain(publishable.id);
    expect(seen).toHaveLength(3);
    expect(seen.find((k) => k.id === revoked.id).revoked_at).not.toBeNull();
    expect((await api("GET", "/v1/api-keys?cursor=nonsense", { key: tenant.key })).status).toBe(422);
  });
});

describe("rotating keys", () => {
  it("keeps the old key working through its overlap and refuses it from the overlap's end", async () => {
    const tenant = await createTenant();
    const old = await createKey(tenant, "restricted", ["orders:read"]);
    const { call, advance, now } = worker();
    const rotated = await call("POST", `/v1/api-keys/${old.id}/rotate`, {
      key: tenant.key,
      body: { overlap_seconds: 600 },
    });
    expect(rotated.status).toBe(201);
    expect(rotated.body).toMatchObject({
      kind: "restricted",
      scopes: ["orders:read"],
      name: "test restricted",
    });
    expect(rotated.body.secret).toMatch(/^cc_rk_/);
    const started = now();
    expect(await keyRow(old.id)).toMatchObject({ expiresAt: started + 600_000, replacedBy: rotated.body.id });
    const read = await call("GET", `/v1/api-keys/${old.id}`, { key: tenant.key });
    expect(read.body).toMatchObject({
      expires_at: new Date(started + 600_000).toISOString(),
      replaced_by: rotated.body.id,
    });

    advance(599_999);
    expect((await call("GET", "/v1/orders", { key: old.key })).status).toBe(200);
    expect((await call("GET", "/v1/orders", { key: rotated.body.secret })).status).toBe(200);
    advance(1);
    expect((await call("GET", "/v1/orders", { key: old.key })).status).toBe(401);
    expect((await call("GET", "/v1/orders", { key: rotated.body.secret })).status).toBe(200);
    expect(await auditActions(old.id)).toContain("api_key.rotated");
    expect(await auditActions(rotated.body.id)).toContain("api_key.created");
  });

  it("ends the old key at once with an overlap of 0, and gives 24 hours by default", async () => {
    const tenant = await createTenant();
    const { call, now } = worker();
    const at = await createKey(tenant, "secret");
    const zero = await call("POST", `/v1/api-keys/${at.id}/rotate`, {
      key: tenant.key,
      body: { overlap_seconds: 0 },
    });
    expect(zero.status).toBe(201);
    expect((await call("GET", "/v1/api-keys", { key: at.key })).status).toBe(401);
    expect((await call("GET", "/v1/api-keys", { key: zero.body.secret })).status).toBe(200);
    const later = await createKey(tenant, "secret");
    expect(
      (await call("POST", `/v1/api-keys/${later.id}/rotate`, { key: tenant.key, body: {} })).status,
    ).toBe(201);
    expect((await keyRow(later.id)).expiresAt).toBe(now() + 86_400_000);
  });

  it("refuses to rotate a revoked, an expired or an already rotated key (409), and writes nothing", async () => {
    const tenant = await createTenant();
    const { call, advance } = worker();
    const rotatedOnce = await createKey(tenant, "secret");
    expect(
      (await call("POST", `/v1/api-keys/${rotatedOnce.id}/rotate`, { key: tenant.key, body: {} })).status,
    ).toBe(201);
    const revoked = await createKey(tenant, "secret");
    expect((await call("DELETE", `/v1/api-keys/${revoked.id}`, { key: tenant.key })).status).toBe(200);
    const expired = await createKey(tenant, "secret");
    expect(
      (
        await call("POST", `/v1/api-keys/${expired.id}/rotate`, {
          key: tenant.key,
          body: { overlap_seconds: 60 },
        })
      ).status,
    ).toBe(201);
    advance(61_000);
    const before = await creatorKeyCount(tenant);
    for (const id of [rotatedOnce.id, revoked.id, expired.id]) {
      const res = await call("POST", `/v1/api-keys/${id}/rotate`, { key: tenant.key, body: {} });
      expect(res, id).toMatchObject({ status: 409, body: { type: problem("conflict") } });
    }
    expect(await creatorKeyCount(tenant)).toBe(before);
  });

  it("lets only one of two rotations at once land: one new key, the other 409", async () => {
    const tenant = await createTenant();
    const old = await createKey(tenant, "secret");
    const answers = await Promise.all(
      [1, 2].map(() => api("POST", `/v1/api-keys/${old.id}/rotate`, { key: tenant.key, body: {} })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
    expect(await creatorKeyCount(tenant)).toBe(3);
  });

  it("replays a rotation under its Idempotency-Key with the same new key", async () => {
    const tenant = await createTenant();
    const old = await createKey(tenant, "secret");
    const headers = { "idempotency-key": crypto.randomUUID() };
    const first = await api("POST", `/v1/api-keys/${old.id}/rotate`, { key: tenant.key, body: {}, headers });
    const again = await api("POST", `/v1/api-keys/${old.id}/rotate`, { key: tenant.key, body: {}, headers });
    expect(first.status).toBe(201);
    expect(again).toMatchObject({ status: 201, body: first.body });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
  });

  it.each([
    ["a negative overlap", { overlap_seconds: -1 }],
    ["an overlap over a week", { overlap_seconds: 604_801 }],
    ["a fractional overlap", { overlap_seconds: 1.5 }],
    ["an unknown field", { overlap: 60 }],
  ])("refuses %s with 422", async (_, body) => {
    const tenant = await createTenant();
    const old = await createKey(tenant, "secret");
    expect((await api("POST", `/v1/api-keys/${old.id}/rotate`, { key: tenant.key, body })).status).toBe(422);
    expect((await keyRow(old.id)).replacedBy).toBeNull();
  });
});

describe("revoking keys", () => {
  it("refuses a revoked key on its very next request, and revoking again changes nothing", async () => {
    const tenant = await createTenant();
    const other = await createKey(tenant, "secret");
    expect((await api("GET", "/v1/api-keys", { key: other.key })).status).toBe(200);
    const revoked = await api("DELETE", `/v1/api-keys/${other.id}`, { key: tenant.key });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_at).not.toBeNull();
    expect((await api("GET", "/v1/api-keys", { key: other.key })).status).toBe(401);
    const again = await api("DELETE", `/v1/api-keys/${other.id}`, { key: tenant.key });
    expect(again).toMatchObject({ status: 200, body: { revoked_at: revoked.body.revoked_at } });
    expect((await auditActions(other.id)).filter((a) => a === "api_key.revoked")).toHaveLength(1);
  });

  it("lets a key revoke itself, after which it is refused", async () => {
    const tenant = await createTenant();
    const [own] = await db.select().from(apiKeys).where(eq(apiKeys.creatorId, tenant.creatorId));
    if (own === undefined) throw new Error("tenant has no key");
    expect((await api("DELETE", `/v1/api-keys/${own.id}`, { key: tenant.key })).status).toBe(200);
    expect((await api("GET", "/v1/api-keys", { key: tenant.key })).status).toBe(401);
  });

  it("answers 404 to another creator's key ids on every key route, and changes nothing", async () => {
    const owner = await createTenant();
    const target = await createKey(owner, "secret");
    const stranger = await createTenant("Stranger");
    for (const [method, path, body] of [
      ["GET", `/v1/api-keys/${target.id}`, undefined],
      ["POST", `/v1/api-keys/${target.id}/rotate`, {}],
      ["DELETE", `/v1/api-keys/${target.id}`, undefined],
    ] as const) {
      expect((await api(method, path, { key: stranger.key, body })).status, `${method} ${path}`).toBe(404);
    }
    expect(
      (await api("GET", "/v1/api-keys", { key: stranger.key })).body.data.map((k: Json) => k.id),
    ).not.toContain(target.id);
    expect(await keyRow(target.id)).toMatchObject({ revokedAt: null, replacedBy: null, expiresAt: null });
    expect((await api("GET", "/v1/api-keys", { key: target.key })).status).toBe(200);
  });
});

describe("last used", () => {
  it("writes last_used_at at most once a minute per key per isolate, after the answer", async () => {
    const tenant = await createTenant();
    const used = await createKey(tenant, "secret");
    const { call, advance, now } = worker();
    const first = now();
    expect((await call("GET", "/v1/offers", { key: used.key })).status).toBe(200);
    expect((await keyRow(used.id)).lastUsedAt).toBe(first);
    // Half a minute on: the stored value is recent, so the second request writes nothing.
    advance(30_000);
    expect((await call("GET", "/v1/offers", { key: used.key })).status).toBe(200);
    expect((await keyRow(used.id)).lastUsedAt).toBe(first);
    // Even when the stored value looks stale, this isolate wrote the key under a minute ago.
    await db.update(apiKeys).set({ lastUsedAt: null }).where(eq(apiKeys.id, used.id));
    advance(15_000);
    expect((await call("GET", "/v1/offers", { key: used.key })).status).toBe(200);
    expect((await keyRow(used.id)).lastUsedAt).toBeNull();
    // Past the minute: one more write, and the list shows it.
    advance(16_000);
    expect((await call("GET", "/v1/offers", { key: used.key })).status).toBe(200);
    expect((await keyRow(used.id)).lastUsedAt).toBe(now());
    const listed = await call("GET", "/v1/api-keys", { key: tenant.key });
    const shown = listed.body.data.find((k: Json) => k.id === used.id);
    expect(shown.last_used_at).toBe(new Date(now()).toISOString());
  });

  it("counts a buyer route's use of a publishable key too", async () => {
    const tenant = await createTenant();
    const publishable = await createKey(tenant, "publishable");
    const { call, now } = worker();
    // A buyer route that reads an optional key (the body's faults are found after the key is accepted).
    await call("POST", "/v1/quotes", { key: publishable.key, body: {} });
    expect((await keyRow(publishable.id)).lastUsedAt).toBe(now());
  });
});

describe("the key kinds elsewhere", () => {
  it("signs a secret key in to the dashboard, a restricted one only with reports:read and orders:read, never a publishable one", async () => {
    const tenant = await createTenant();
    const readsBoth = await createKey(tenant, "restricted", ["reports:read", "orders:write"]);
    const readsOne = await createKey(tenant, "restricted", ["reports:read", "catalog:write"]);
    const publishable = await createKey(tenant, "publishable");
    expect((await postSignIn(tenant.key)).status).toBe(303);
    expect((await postSignIn(readsBoth.key)).status).toBe(303);
    expect((await postSignIn(readsOne.key)).status).toBe(401);
    expect((await postSignIn(publishable.key)).status).toBe(401);
  });

  it("refuses a suspended creator's sign-in, and ends its sessions and a rotated key's at the overlap's end", async () => {
    const tenant = await createTenant();
    const rotating = await createKey(tenant, "secret");
    const fromRotating = cookieOf(await postSignIn(rotating.key));
    const fromMain = cookieOf(await postSignIn(tenant.key));
    if (fromRotating === null || fromMain === null) throw new Error("sign-in refused");
    const signedIn = (text: string) => text.includes('id="kpis-title"');
    expect(signedIn((await withCookie("/dashboard", fromRotating)).text)).toBe(true);
    await db
      .update(apiKeys)
      .set({ expiresAt: Date.now() - 1 })
      .where(eq(apiKeys.id, rotating.id));
    expect(signedIn((await withCookie("/dashboard", fromRotating)).text)).toBe(false);
    expect(signedIn((await withCookie("/dashboard", fromMain)).text)).toBe(true);
    await db
      .update(creators)
      .set({ status: "suspended", suspendedAt: Date.now() })
      .where(eq(creators.id, tenant.creatorId));
    expect(signedIn((await withCookie("/dashboard", fromMain)).text)).toBe(false);
    expect((await postSignIn(tenant.key)).status).toBe(401);
  });

  it("counts secret and restricted keys under creator_api and a publishable key under the public per-address limit", async () => {
    const tenant = await createTenant();
    const restricted = await createKey(tenant, "restricted", ["catalog:read"]);
    const publishable = await createKey(tenant, "publishable");
    const { call } = worker();
    const policyOf = async (key: string) =>
      (
        await call("GET", "/.well-known/jwks.json", { key, headers: { "cf-connecting-ip": "203.0.113.77" } })
      ).headers.get("ratelimit-policy");
    expect(await policyOf(tenant.key)).toContain('"creator_api"');
    expect(await policyOf(restricted.key)).toContain('"creator_api"');
    expect(await policyOf(publishable.key)).toContain('"public"');
  });
});

// GET /v1/api-keys is not in the suite: a stranger's list always holds the stranger's own key, so it
// is never empty; "answers 404 to another creator's key ids" above checks the list leaves the row out.
authorisationSuite(
  "POST /v1/api-keys",
  async () => (key) => api("POST", "/v1/api-keys", { key, body: { name: "Suite", kind: "secret" } }),
  "created_separately",
);
for (const [name, method, suffix] of [
  ["GET /v1/api-keys/{id}", "GET", ""],
  ["POST /v1/api-keys/{id}/rotate", "POST", "/rotate"],
  ["DELETE /v1/api-keys/{id}", "DELETE", ""],
] as const) {
  authorisationSuite(name, async (owner) => {
    const target = await createKey(owner, "secret");
    return (key) =>
      api(method, `/v1/api-keys/${target.id}${suffix}`, { key, body: method === "POST" ? {} : undefined });
  });
}
