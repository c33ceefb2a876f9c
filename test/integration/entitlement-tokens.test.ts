import { eq } from "drizzle-orm";
import { base64url, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { createEntitlementVerifier, EntitlementTokenError } from "../../clients/verifier";
import { refreshCredentials } from "../../src/db/schema";
import { api } from "../support/api";
import {
  appAt,
  configuredJwk,
  entitlementIdOf,
  exchange,
  forge,
  grant,
  helperFor,
  ISSUER,
  introspect,
  memberWithGrants,
  publishedJwks,
  revoke,
  startSession,
  validClaims,
} from "../support/entitlements";
import { insertMember } from "../support/quotes";
import { createTenant, db, type Tenant } from "../support/tenants";

const flipBit = (token: string): string => {
  const [h, p, s = ""] = token.split(".");
  const signature = base64url.decode(s);
  signature.set([(signature[10] ?? 0) ^ 0x01], 10);
  return `${h}.${p}.${base64url.encode(signature)}`;
};
const unsigned = (header: object, payload: object) =>
  `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}.`;
const without = (claims: JWTPayload, name: string) =>
  Object.fromEntries(Object.entries(claims).filter(([k]) => k !== name));

type Forger = (claims: JWTPayload, tenant: Tenant, memberId: string) => Promise<string>;

/** Each case: a token a verifier must refuse, and the reason the helper gives. */
const rejectMatrix: [string, Forger, string][] = [
  ["alg none", async (c) => unsigned({ alg: "none", typ: "entitlement+jwt", kid: "e3" }, c), "algorithm"],
  [
    "HS256 signed with the public key as the secret",
    async (c) =>
      new SignJWT(c)
        .setProtectedHeader({ alg: "HS256", typ: "entitlement+jwt", kid: "e3" })
        .sign(new TextEncoder().encode(configuredJwk("e3").x)),
    "algorithm",
  ],
  [
    "ES256, an algorithm other than the pinned one",
    async (c) => {
      const { privateKey } = await generateKeyPair("ES256");
      return new SignJWT(c)
        .setProtectedHeader({ alg: "ES256", typ: "entitlement+jwt", kid: "e3" })
        .sign(privateKey);
    },
    "algorithm",
  ],
  [
    "an unknown kid",
    async (c) => {
      const { privateKey } = await generateKeyPair("EdDSA");
      return new SignJWT(c)
        .setProtectedHeader({ alg: "EdDSA", typ: "entitlement+jwt", kid: "e9" })
        .sign(privateKey);
    },
    "unknown_key",
  ],
  ["a kid retired before now", (c) => forge(c, {}, "e1"), "unknown_key"],
  [
    "expired beyond the clock tolerance",
    (c) => forge({ ...c, exp: Math.floor(Date.now() / 1000) - 60 }),
    "expired",
  ],
  ["nbf in the future", (c) => forge({ ...c, nbf: Math.floor(Date.now() / 1000) + 120 }), "not_yet_valid"],
  ["a wrong audience", (c) => forge({ ...c, aud: "cre_someone_else" }), "audience"],
  ["a wrong issuer", (c) => forge({ ...c, iss: "https://evil.test" }), "issuer"],
  ["a wrong typ", (c) => forge(c, { typ: "JWT" }), "type"],
  ["no sub", (c) => forge(without(c, "sub")), "claims"],
  ["no jti", (c) => forge(without(c, "jti")), "claims"],
  ["no exp", (c) => forge(without(c, "exp")), "claims"],
  ["one flipped bit in the signature", async (c) => flipBit(await forge(c)), "signature"],
  [
    "a token over 8 KB",
    (c) => forge({ ...c, ent: Array.from({ length: 600 }, (_, i) => `benefit-${i}`) }),
    "too_large",
  ],
];

describe("the reject matrix: refused by the exported helper and by introspection", () => {
  it("accepts the unaltered token both ways (the control case)", async () => {
    const tenant = await createTenant();
    const memberId = await insertMember(tenant, null);
    const token = await forge(validClaims(tenant.creatorId, memberId));
    const claims = await (await helperFor(tenant))(token);
    expect(claims).toMatchObject({ memberId, audience: tenant.creatorId, version: 0, entitlements: [] });
    expect((await introspect(token, tenant.creatorId)).status).toBe(200);
  });

  it.each(rejectMatrix)("refuses %s", async (_name, make, reason) => {
    const tenant = await createTenant();
    const memberId = await insertMember(tenant, null);
    const token = await make(validClaims(tenant.creatorId, memberId), tenant, memberId);
    const refused = await (await helperFor(tenant))(token).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(EntitlementTokenError);
    expect((refused as EntitlementTokenError).reason).toBe(reason);
    const res = await introspect(token, tenant.creatorId);
    expect(res.status).toBe(reason === "expired" ? 410 : 422);
    expect(res.body.type).toMatch(reason === "expired" ? /token-expired$/ : /token-invalid$/);
  });

  it("refuses every one-character change to a token, including the signature's spare bits", async () => {
    const tenant = await createTenant();
    const memberId = await insertMember(tenant, null);
    const token = await forge(validClaims(tenant.creatorId, memberId));
    const verify = await helperFor(tenant);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let refused = 0;
    for (let i = 0; i < token.length; i++) {
      const at = alphabet.indexOf(token.charAt(i));
      if (at < 0) continue; // the dots
      const altered = token.slice(0, i) + alphabet.charAt((at + 1) % 64) + token.slice(i + 1);
      if (
        await verify(altered).then(
          () => false,
          () => true,
        )
      )
        refused++;
    }
    expect(refused).toBe(token.length - 2);
    // The last character's low bits are padding: the non-canonical spelling decodes to the same signature.
    const last = token.length - 1;
    const spare = token.slice(0, last) + alphabet.charAt(alphabet.indexOf(token.charAt(last)) ^ 1);
    const res = await introspect(spare, tenant.creatorId);
    expect(res.status).toBe(422);
    expect(res.body.errors[0].message).toBe("signature");
  });

  it("refuses a stale token version (a revocation since minting)", async () => {
    const tenant = await createTenant();
    const { memberId } = await memberWithGrants(tenant, 1);
    const { token } = await startSession(tenant, memberId);
    await revoke(tenant, await entitlementIdOf(memberId), "chargeback");
    const refused = await (await helperFor(tenant))(token).catch((e: unknown) => e);
    expect((refused as EntitlementTokenError).reason).toBe("stale_version");
    const res = await introspect(token, tenant.creatorId);
    expect(res.status).toBe(410);
    expect(res.body.type).toMatch(/token-revoked$/);
  });

  it("refuses a kid past its retirement deadline even when the cached key set still lists it", async () => {
    const tenant = await createTenant();
    const memberId = await insertMember(tenant, null);
    const { x, kid, kty, crv } = configuredJwk("e1");
    const verify = createEntitlementVerifier({
      jwks: { keys: [{ kty, crv, x, kid, exp: Date.parse("2026-01-01T00:00:00Z") / 1000 }] },
      issuer: ISSUER,
      audience: tenant.creatorId,
    });
    const refused = await verify(await forge(validClaims(tenant.creatorId, memberId), {}, "e1")).catch(
      (e) => e,
    );
    expect(refused.reason).toBe("retired_key");
    const res = await introspect(
      await forge(validClaims(tenant.creatorId, memberId), {}, "e1"),
      tenant.creatorId,
    );
    expect(res.body.errors[0].message).toBe("retired_key");
  });
});

describe("key rotation", () => {
  const deadline = Date.parse("2030-01-01T00:00:00Z");

  it("verifies tokens from the retiring key until its deadline, and refuses them after", async () => {
    const tenant = await createTenant();
    const memberId = await insertMember(tenant, null);
    const token = await forge(validClaims(tenant.creatorId, memberId, deadline - 60_000), {}, "e2");
    const jwks = await publishedJwks();
    const helperAt = (now: number) =>
      createEntitlementVerifier({ jwks, issuer: ISSUER, audience: tenant.creatorId, now: () => now });

    await expect(helperAt(deadline - 1000)(token)).resolves.toMatchObject({ memberId });
    expect(
      (await appAt(deadline - 1000)("POST", "/v1/entitlements/verify", { token, audience: tenant.creatorId }))
        .status,
    ).toBe(200);

    await expect(helperAt(deadline + 1000)(token)).rejects.toMatchObject({ reason: "retired_key" });
    const after = await appAt(deadline + 1000)("POST", "/v1/entitlements/verify", {
      token,
      audience: tenant.creatorId,
    });
    expect(after.status).toBe(422);
    expect(after.body.errors[0].message).toBe("retired_key");
  });

  it("signs nothing new with a retiring key: the active kid signs, and only public parts are published", async () => {
    const tenant = await createTenant();
    const { memberId } = await memberWithGrants(tenant, 1);
    const session = await startSession(tenant, memberId);
    const [header] = session.token.split(".");
    expect(JSON.parse(new TextDecoder().decode(base64url.decode(header)))).toMatchObject({ kid: "e3" });
    const exported = await exportJWK((await generateKeyPair("EdDSA", { extractable: true })).publicKey);
    expect(
      (await publishedJwks()).keys.every((k) =>
        Object.keys(k).every((f) => f in exported || ["kid", "alg", "use", "exp"].includes(f)),
      ),
    ).toBe(true);
  });
});

describe("POST /v1/entitlements/token (refresh)", () => {
  it("rotates on every use, and a reused credential revokes its whole family", async () => {
    const tenant = await createTenant();
    const { memberId, offers } = await memberWithGrants(tenant, 2);
    const first = await startSession(tenant, memberId);
    const second = await exchange(first.refresh_token);
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.refresh_token);
    expect(second.body.entitlements).toEqual([...offers].sort());
    expect((await introspect(second.body.token, tenant.creatorId)).status).toBe(200);

    const third = await exchange(second.body.refresh_token);
    expect(third.status).toBe(200);
    const reuse = await exchange(first.refresh_token);
    expect(reuse.status).toBe(401);
    expect(reuse.body.type).toMatch(/refresh-token-invalid$/);
    expect(reuse.body.detail).toMatch(/already used/);
    // The legitimate holder's newest credential died with the family.
    expect((await exchange(third.body.refresh_token)).status).toBe(401);
    const family = await db
      .select()
      .from(refreshCredentials)
      .where(eq(refreshCredentials.memberId, memberId));
    expect(family).toHaveLength(3);
    expect(family.every((row) => row.revokedAt !== null && row.revokeReason === "reused")).toBe(true);
    expect(JSON.stringify(family)).not.toContain(first.refresh_token);
  });

  it("answers a retry under the same Idempotency-Key with the same successor, until that successor is used", async () => {
    const tenant = await createTenant();
    const { memberId } = await memberWithGrants(tenant, 1);
    const session = await startSession(tenant, memberId);
    const key = `refresh-${crypto.randomUUID()}`;
    const [a, b] = [await exchange(session.refresh_token, key), await exchange(session.refresh_token, key)];
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(b.body.refresh_token).toBe(a.body.refresh_token);
    expect((await exchange(session.refresh_token, "another-key")).status).toBe(401);
  });

  it("lets exactly one of five concurrent uses of one credential rotate it", async () => {
    const tenant = await createTenant();
    const { memberId } = await memberWithGrants(tenant, 1);
    const session = await startSession(tenant, memberId);
    const results = await Promise.all(Array.from({ length: 5 }, () => exchange(session.refresh_token)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 401)).toHaveLength(4);
  });

  it.each([
    ["a credential it never issued", `cc_rt_${"A".repeat(43)}`],
    ["a string of the wrong shape", "not-a-credential"],
  ])("refuses %s with 401", async (_name, credential) => {
    const res = await exchange(credential);
    expect(res.status).toBe(401);
  });

  it("refuses an expired credential", async () => {
    const tenant = await createTenant();
    const memberId = await insertMember(tenant, null);
    const session = await startSession(tenant, memberId);
    const later = await appAt(Date.now() + 31 * 24 * 3600_000)("POST", "/v1/entitlements/token", {
      refresh_token: session.refresh_token,
    });
    expect(later.status).toBe(401);
    expect(later.body.detail).toMatch(/expired/);
  });
});

describe("revocation end to end", () => {
  it("refuses old tokens at introspection at once, and refresh stops listing the revoked entitlement", async () => {
    const tenant = await createTenant();
    const { memberId, offers } = await memberWithGrants(tenant, 2);
    const session = await startSession(tenant, memberId);
    const [kept, refunded] = offers as [string, string];
    const revoked = await revoke(tenant, await entitlementIdOf(memberId, refunded), "refund");
    expect(revoked.status).toBe(200);

    expect((await introspect(session.token, tenant.creatorId)).status).toBe(410);
    // An offline verifier with no version source keeps accepting it, but only until it expires.
    const offline = createEntitlementVerifier({
      jwks: await publishedJwks(),
      issuer: ISSUER,
      audience: tenant.creatorId,
    });
    const stillValid = await offline(session.token);
    expect(stillValid.expiresAt - Date.now()).toBeLessThanOrEqual(300_000);

    const refreshed = await exchange(session.refresh_token);
    expect(refreshed.body.entitlements).toEqual([kept]);
    expect((await introspect(refreshed.body.token, tenant.creatorId)).body).toMatchObject({
      active: true,
      entitlements: [kept],
      version: 1,
    });
    const regranted = await grant(tenant, { member_id: memberId, benefit_key: "bonus" });
    expect(regranted.body.token.entitlements).toEqual(["bonus", kept].sort());
  });
});

describe("POST /v1/entitlements/verify input", () => {
  it.each([
    ["no audience", { token: "a.b.c" }],
    ["an unknown field", { token: "a.b.c", audience: "cre_x", extra: true }],
  ])("refuses %s with 422 validation-failed", async (_name, body) => {
    const res = await api("POST", "/v1/entitlements/verify", { body });
    expect(res.status).toBe(422);
    expect(res.body.type).toMatch(/validation-failed$/);
  });

  it("refuses a token for another creator's audience", async () => {
    const [owner, other] = [await createTenant(), await createTenant()];
    const memberId = await insertMember(owner, null);
    const token = await forge({ ...validClaims(other.creatorId, memberId) });
    const res = await introspect(token, other.creatorId);
    expect(res.status).toBe(422);
  });
});
