import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { importJWK, type JWTPayload, SignJWT } from "jose";
import { createEntitlementVerifier, type PublishedJwk } from "../../clients/verifier";
import { buildApp } from "../../src/app";
import { readConfig } from "../../src/config";
import { api, type Json } from "./api";
import { createOffer } from "./fixtures";
import { insertMember } from "./quotes";
import { db, type Tenant } from "./tenants";

export const ISSUER = "https://commerce.test";

/** The private JWKs the worker was configured with, to forge tokens exactly as a key holder could. */
export function configuredJwk(kid: string) {
  const jwk = readConfig(env).ENTITLEMENT_SIGNING_KEYS.keys.find((k) => k.kid === kid);
  if (jwk === undefined) throw new Error(`no configured key ${kid}`);
  const { retire_at: _deadline, ...rest } = jwk;
  return rest;
}

export const revoke = (tenant: Tenant, entitlementId: string, reason: string) =>
  api("DELETE", `/v1/entitlements/${entitlementId}?reason=${reason}`, { key: tenant.key });

export async function grant(
  tenant: Tenant,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  return api("POST", "/v1/entitlements", { key: tenant.key, body, headers });
}

/** A member holding `count` one-time offers, granted through the admin API. */
export async function memberWithGrants(
  tenant: Tenant,
  count: number,
): Promise<{ memberId: string; offers: string[] }> {
  const memberId = await insertMember(tenant, null);
  const offers: string[] = [];
  for (let i = 0; i < count; i++) {
    const offer = await createOffer(tenant, {
      kind: "one_time",
      title: `Item ${i}`,
      prices: [{ currency: "USD", amount: 500 }],
    });
    const res = await grant(tenant, { member_id: memberId, offer_id: offer.id });
    if (res.status !== 201) throw new Error(`grant refused: ${JSON.stringify(res.body)}`);
    offers.push(offer.id);
  }
  return { memberId, offers };
}

export async function startSession(tenant: Tenant, memberId: string, surface?: string): Promise<Json> {
  const res = await api("POST", `/v1/members/${memberId}/sessions`, {
    key: tenant.key,
    body: surface === undefined ? {} : { surface },
  });
  if (res.status !== 201) throw new Error(`session refused: ${JSON.stringify(res.body)}`);
  return res.body;
}

export const exchange = (refreshToken: string, idempotencyKey?: string) =>
  api("POST", "/v1/entitlements/token", {
    body: { refresh_token: refreshToken },
    headers: idempotencyKey === undefined ? {} : { "idempotency-key": idempotencyKey },
  });

export const introspect = (token: string, audience: string) =>
  api("POST", "/v1/entitlements/verify", { body: { token, audience } });

/** The worker's published key set, as any verifier would fetch it. */
export async function publishedJwks(): Promise<{ keys: PublishedJwk[] }> {
  const res = await api("GET", "/.well-known/jwks.json");
  return res.body;
}

/** The exported helper, pointed at the published keys and at the member's current token version. */
export async function helperFor(tenant: Tenant, audience: string = tenant.creatorId) {
  return createEntitlementVerifier({
    jwks: await publishedJwks(),
    issuer: ISSUER,
    audience,
    tokenVersion: async (memberId) =>
      (await api("GET", `/v1/members/${memberId}`, { key: tenant.key })).body.token_version,
  });
}

/** A token signed by a configured key (e3 unless named), with any header and claims. */
export async function forge(
  payload: JWTPayload,
  header: Record<string, unknown> = {},
  kid = "e3",
): Promise<string> {
  const key = await importJWK(configuredJwk(kid), "EdDSA");
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "EdDSA", typ: "entitlement+jwt", kid, ...header })
    .sign(key);
}

/** Claims a real token for this member would carry, valid now. */
export function validClaims(creatorId: string, memberId: string, now = Date.now()): JWTPayload {
  const iat = Math.floor(now / 1000);
  return {
    iss: ISSUER,
    sub: memberId,
    aud: creatorId,
    iat,
    nbf: iat,
    exp: iat + 300,
    jti: `tok_${crypto.randomUUID()}`,
    ent: [],
    ver: 0,
  };
}

/** The real app with a pinned clock, called with the test's bindings (plus any overrides). */
export function appAt(now: number, bindings: Partial<Record<keyof Env, unknown>> = {}) {
  const app = buildApp({ clock: { now: () => now } });
  return async (method: string, path: string, body?: unknown, key?: string) => {
    const res = await app.fetch(
      new Request(`http://api.test${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
      { ...env, ...bindings },
    );
    return { status: res.status, body: (await res.json()) as Json };
  };
}

/** The id of the member's entitlement to `benefitKey` (the only one when not named). */
export async function entitlementIdOf(memberId: string, benefitKey?: string): Promise<string> {
  const rows = await db.query.entitlements.findMany({ where: (e) => eq(e.memberId, memberId) });
  const row = rows.find((r) => benefitKey === undefined || r.benefitKey === benefitKey);
  if (row === undefined) throw new Error(`member ${memberId} holds no ${benefitKey ?? "entitlement"}`);
  return row.id;
}
