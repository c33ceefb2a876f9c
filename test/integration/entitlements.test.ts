import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { readConfig } from "../../src/config";
import { runBatch } from "../../src/db/client";
import { auditEvents, entitlements } from "../../src/db/schema";
import { grantWrite, revokeSourceWrites } from "../../src/entitlements/store";
import { subscriptionIdFor } from "../../src/lib/ids";
import { api } from "../support/api";
import { authorisationSuite } from "../support/auth-suite";
import { checkout } from "../support/checkouts";
import {
  appAt,
  configuredJwk,
  entitlementIdOf,
  grant,
  ISSUER,
  memberWithGrants,
  publishedJwks,
  revoke,
  startSession,
} from "../support/entitlements";
import { createOffer, membershipTier } from "../support/fixtures";
import { buyer, insertMember, quote } from "../support/quotes";
import { createTenant, db, tableCounts } from "../support/tenants";

describe("GET /.well-known/jwks.json", () => {
  it("publishes the active and retiring public keys, never a private part, with caching headers", async () => {
    const res = await api("GET", "/.well-known/jwks.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=300, stale-while-revalidate=60");
    expect(res.body.keys.map((k: { kid: string }) => k.kid)).toEqual(["e3", "e2"]);
    expect(res.body.keys[0]).toEqual({
      kty: "OKP",
      crv: "Ed25519",
      kid: "e3",
      x: "T1NS_4M6C8A23xcwfkFf38LlZttFjmhdkEkeZMxMJaI",
      alg: "EdDSA",
      use: "sig",
    });
    expect(res.body.keys[1].exp).toBe(Date.parse("2030-01-01T00:00:00Z") / 1000);
    expect(JSON.stringify(res.body)).not.toMatch(/"d"/);
  });

  it("drops a retiring key once its deadline passes", async () => {
    const after = await appAt(Date.parse("2030-01-01T00:00:01Z"))("GET", "/.well-known/jwks.json");
    expect(after.body.keys.map((k: { kid: string }) => k.kid)).toEqual(["e3"]);
  });
});

describe("ENTITLEMENT_SIGNING_KEYS", () => {
  const jwk = configuredJwk("e3");
  const secret = (value: unknown) => ({ ...env, ENTITLEMENT_SIGNING_KEYS: JSON.stringify(value) });

  it.each([
    ["an active kid that is not listed", { active: "e9", keys: [jwk] }],
    ["an active key without its private part", { active: "e3", keys: [{ ...jwk, d: undefined }] }],
    [
      "an active key that is retiring",
      { active: "e3", keys: [{ ...jwk, retire_at: "2030-01-01T00:00:00Z" }] },
    ],
    ["a P-256 key", { active: "e3", keys: [{ ...jwk, crv: "P-256" }] }],
    ["a truncated public part", { active: "e3", keys: [{ ...jwk, x: jwk.x.slice(1) }] }],
    ["two keys with one kid", { active: "e3", keys: [jwk, jwk] }],
  ])("refuses %s, naming the secret but never echoing key material", (_name, value) => {
    let error: Error | undefined;
    try {
      readConfig(secret(value) as Env);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(/ENTITLEMENT_SIGNING_KEYS/);
    expect(error?.message).not.toContain(jwk.d);
    expect(error?.message).not.toContain(jwk.x.slice(1, 20));
  });

  it("mints tokens for the configured lifetime", async () => {
    const tenant = await createTenant();
    const memberId = await insertMember(tenant, null);
    const now = Date.now();
    const call = appAt(now, { ENTITLEMENT_TOKEN_TTL_SECONDS: "60" });
    const session = await call("POST", `/v1/members/${memberId}/sessions`, {}, tenant.key);
    expect(session.status).toBe(201);
    expect(Date.parse(session.body.expires_at)).toBe((Math.floor(now / 1000) + 60) * 1000);
  });

  it("refuses a token lifetime over 15 minutes", () => {
    expect(() => readConfig({ ...env, ENTITLEMENT_TOKEN_TTL_SECONDS: "901" } as Env)).toThrow(
      /ENTITLEMENT_TOKEN_TTL_SECONDS/,
    );
  });
});

describe("POST /v1/entitlements (admin grant)", () => {
  it("grants an offer and mints a token that any JWT library verifies against the published JWKS", async () => {
    const tenant = await createTenant();
    const memberId = await insertMember(tenant, null);
    const offer = await createOffer(tenant);
    const res = await grant(tenant, { member_id: memberId, offer_id: offer.id });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      object: "entitlement",
      member_id: memberId,
      offer_id: offer.id,
      benefit_key: offer.id,
      source: { type: "admin", id: res.body.id },
      expires_at: null,
      revoked_at: null,
      token: {
        object: "entitlement_token",
        token_type: "Bearer",
        audience: tenant.creatorId,
        entitlements: [offer.id],
      },
    });

    // jose alone, with nothing from this project: the published set, the pinned algorithm and claims.
    const jwks = createLocalJWKSet(await (await api("GET", "/.well-known/jwks.json")).body);
    const { payload, protectedHeader } = await jwtVerify(res.body.token.token, jwks, {
      algorithms: ["EdDSA"],
      issuer: ISSUER,
      audience: tenant.creatorId,
      typ: "entitlement+jwt",
    });
    expect(protectedHeader).toEqual({ alg: "EdDSA", typ: "entitlement+jwt", kid: "e3" });
    expect(payload).toMatchObject({ sub: memberId, ent: [offer.id], ver: 0 });
    const { iat = 0, exp = 0 } = payload;
    expect(exp - iat).toBe(300);
    expect(payload.nbf).toBe(iat);
    expect(payload.jti).toMatch(/^tok_/);
    expect(Date.parse(res.body.token.expires_at)).toBe(exp * 1000);
  });

  it("keeps a token for a member with 10 entitlements under 1 KB", async () => {
    const tenant = await createTenant();
    const { memberId, offers } = await memberWithGrants(tenant, 10);
    const session = await startSession(tenant, memberId, "overlay");
    expect(session.entitlements).toEqual([...offers].sort());
    expect(new TextEncoder().encode(session.token).length).toBeLessThan(1024);
    expect(session.audience).toBe(`${tenant.creatorId}:overlay`);
  });

  it("grants a membership tier for one billing period", async () => {
    const tenant = await createTenant();
    const memberId = await insertMember(tenant, null);
    const tier = await createOffer(tenant, membershipTier());
    const res = await grant(tenant, { member_id: memberId, offer_id: tier.id });
    expect(res.status).toBe(201);
    const granted = new Date(res.body.granted_at);
    const expected = new Date(granted);
    expected.setUTCMonth(granted.getUTCMonth() + 1);
    if (expected.getUTCDate() !== granted.getUTCDate()) expected.setUTCDate(0);
    expect(res.body.expires_at).toBe(expected.toISOString());
    // A token never outlives what it lists; a month away, the 5-minute lifetime decides.
    expect(Date.parse(res.body.token.expires_at) - Date.parse(res.body.granted_at)).toBeLessThanOrEqual(
      301_000,
    );
  });

  it("grants a weekly tier for 7 days and a fortnightly one for 14, by the admin API and through checkout", async () => {
    const tenant = await createTenant();
    const memberId = await insertMember(tenant, null);
    const days = (r: { granted_at: string; expires_at: string }) =>
      (Date.parse(r.expires_at) - Date.parse(r.granted_at)) / (24 * 3600_000);
    for (const [interval, length, rank] of [
      ["week", 7, 1],
      ["fortnight", 14, 2],
    ] as const) {
      const tier = await createOffer(tenant, membershipTier({ billing_interval: interval, tier_rank: rank }));
      expect(tier.billing_interval).toBe(interval);
      const res = await grant(tenant, { member_id: memberId, offer_id: tier.id });
      expect(res.status).toBe(201);
      expect(days(res.body)).toBe(length);
      const buyerId = crypto.randomUUID();
      const quoted = await quote({ offer_id: tier.id }, buyer(buyerId));
      expect(quoted.status).toBe(201);
      const paid = await checkout(
        {
          quote: quoted.body.token,
          email: `fan-${crypto.randomUUID()}@example.test`,
          payment_method: "4242424242424242",
        },
        { buyerId },
      );
      expect(paid.body.status).toBe("paid");
      // Bought through checkout, the tier renews: the subscription grants it for the period plus the leeway.
      const [row] = await db
        .select()
        .from(entitlements)
        .where(eq(entitlements.sourceId, subscriptionIdFor(paid.body.order_id)));
      expect(((row?.expiresAt ?? 0) - (row?.grantedAt ?? 0)) / (24 * 3600_000)).toBe(length + 2 / 24);
    }
  });

  it("is idempotent per source: the same reference answers 200 with the first grant and writes nothing", async () => {
    const tenant = await createTenant();
    const memberId = await insertMember(tenant, null);
    const body = { member_id: memberId, benefit_key: "backstage", reference: "crm-4411" };
    const first = await grant(tenant, body);
    expect(first.status).toBe(201);
    const before = await tableCounts();
    const again = await grant(tenant, body);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.token.entitlements).toEqual(["backstage"]);
    expect(await tableCounts()).toEqual(before);
  });

  it("replays an Idempotency-Key with the same entitlement and a freshly minted token", async () => {
    const tenant = await createTenant();
    const memberId = await insertMember(tenant, null);
    const headers = { "idempotency-key": `grant-${crypto.randomUUID()}` };
    const first = await grant(tenant, { member_id: memberId, benefit_key: "vip" }, headers);
    const replay = await grant(tenant, { member_id: memberId, benefit_key: "vip" }, headers);
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body.id).toBe(first.body.id);
    expect(replay.body.token.token).not.toBe(first.body.token.token);
    const granted = await db.select().from(auditEvents).where(eq(auditEvents.subjectId, first.body.id));
    expect(granted.map((e) => e.action)).toEqual(["entitlement.granted"]);
  });

  it.each([
    ["an unknown field", { benefit_key: "x", surprise: 1 }, "/surprise"],
    ["neither an offer nor a benefit", {}, "/offer_id"],
    ["a past expiry", { benefit_key: "x", expires_at: "2020-01-01T00:00:00Z" }, "/expires_at"],
    ["an unknown offer", { offer_id: "off_nope" }, "/offer_id"],
    ["a malformed benefit key", { benefit_key: "has spaces" }, "/benefit_key"],
  ])("refuses %s with 422 and writes nothing", async (_name, body, path) => {
    const tenant = await createTenant();
    const memberId = await insertMember(tenant, null);
    const before = await tableCounts();
    const res = await grant(tenant, { member_id: memberId, ...body });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(await tableCounts()).toEqual(before);
  });

  it("treats another creator's member as unknown (422)", async () => {
    const [owner, stranger] = [await createTenant(), await createTenant()];
    const memberId = await insertMember(owner, null);
    const res = await grant(stranger, { member_id: memberId, benefit_key: "vip" });
    expect(res.status).toBe(422);
    expect(res.body.errors[0].path).toBe("/member_id");
  });
});

describe("DELETE /v1/entitlements/{id} (revoke)", () => {
  it("revokes once, bumps the member's token version once, and audits it", async () => {
    const tenant = await createTenant();
    const { memberId } = await memberWithGrants(tenant, 1);
    const entitlementId = await entitlementIdOf(memberId);
    const res = await revoke(tenant, entitlementId, "refund");
    expect(res).toMatchObject({ status: 200, body: { revoke_reason: "refund" } });
    expect(res.body.revoked_at).not.toBeNull();
    const again = await revoke(tenant, entitlementId, "admin");
    expect(again.body).toEqual(res.body);
    const member = await api("GET", `/v1/members/${memberId}`, { key: tenant.key });
    expect(member.body.token_version).toBe(1);
    const audits = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.subjectId, entitlementId), eq(auditEvents.action, "entitlement.revoked")));
    expect(audits).toHaveLength(1);
  });

  it("refuses an unknown reason with 422", async () => {
    const tenant = await createTenant();
    const { memberId } = await memberWithGrants(tenant, 1);
    const res = await revoke(tenant, await entitlementIdOf(memberId), "bored");
    expect(res.status).toBe(422);
    expect(res.body.errors[0]).toMatchObject({ in: "query", path: "/reason" });
  });
});

describe("revokeSourceWrites (what a refund or cancellation puts in its batch)", () => {
  it("revokes everything the source granted and bumps the member's token version", async () => {
    const tenant = await createTenant();
    const memberId = await insertMember(tenant, null);
    const orderId = `ord_${crypto.randomUUID()}`;
    const base = { creatorId: tenant.creatorId, memberId, offerId: null, sourceType: "order" as const };
    const row = (benefitKey: string, sourceId: string) => ({
      ...base,
      id: `ent_${crypto.randomUUID()}`,
      benefitKey,
      sourceId,
      grantedAt: Date.now(),
      expiresAt: null,
      revokedAt: null,
      revokeReason: null,
    });
    await db.batch([
      grantWrite(db, row("poster", orderId)),
      grantWrite(db, row("bonus-track", orderId)),
      grantWrite(db, row("other-order", "ord_other")),
    ]);
    const source = { creatorId: tenant.creatorId, type: "order" as const, id: orderId, memberId };
    await runBatch(db, revokeSourceWrites(db, source, "refund", Date.now()));
    const session = await startSession(tenant, memberId);
    expect(session.entitlements).toEqual(["other-order"]);
    expect((await api("GET", `/v1/members/${memberId}`, { key: tenant.key })).body.token_version).toBe(1);
  });
});

authorisationSuite("GET /v1/entitlements/{id}", async (owner) => {
  const memberId = await insertMember(owner, null);
  const granted = await grant(owner, { member_id: memberId, benefit_key: "vip" });
  return (key) => api("GET", `/v1/entitlements/${granted.body.id}`, key ? { key } : {});
});

authorisationSuite("DELETE /v1/entitlements/{id}", async (owner) => {
  const memberId = await insertMember(owner, null);
  const granted = await grant(owner, { member_id: memberId, benefit_key: "vip" });
  return (key) => api("DELETE", `/v1/entitlements/${granted.body.id}`, key ? { key } : {});
});

authorisationSuite("POST /v1/members/{id}/sessions", async (owner) => {
  const memberId = await insertMember(owner, null);
  return (key) => api("POST", `/v1/members/${memberId}/sessions`, { body: {}, ...(key ? { key } : {}) });
});

authorisationSuite(
  "POST /v1/entitlements",
  async (owner) => {
    const memberId = await insertMember(owner, null);
    return (key) =>
      api("POST", "/v1/entitlements", {
        body: { member_id: memberId, benefit_key: "vip" },
        ...(key ? { key } : {}),
      });
  },
  "rejected_reference",
);

describe("new tokens after a rotation", () => {
  it("carry the active kid", async () => {
    const tenant = await createTenant();
    const memberId = await insertMember(tenant, null);
    const session = await startSession(tenant, memberId);
    expect(decodeProtectedHeader(session.token).kid).toBe("e3");
    expect((await publishedJwks()).keys.some((k) => k.kid === "e3")).toBe(true);
  });
});
