import { env } from "cloudflare:workers";
import { CompactSign, jwtVerify, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { readConfig } from "../../src/config";
import { entitlementKeys } from "../../src/entitlements/keys";
import { mintToken } from "../../src/entitlements/token";
import { type QuoteClaims, quoteKeys, signQuote, verifyQuote } from "../../src/quotes/token";

const claims = (overrides: Partial<QuoteClaims> = {}): QuoteClaims => ({
  id: "qte_test",
  creatorId: "cre_test",
  buyerKey: "anon:buyer-1234",
  offerId: "off_test",
  dropId: "drp_test",
  drops: [{ dropId: "drp_test", quantity: 2 }],
  quantity: 2,
  currency: "EUR",
  amount: 1620,
  arm: { experimentId: "exp_test", key: "low" },
  coupon: "SAVE10",
  upsellOf: null,
  lines: [
    { type: "base", amount: 1800 },
    { type: "experiment", amount: -180, ref: "exp_test:low" },
  ],
  issuedAt: 1_790_000_000_000,
  expiresAt: 1_790_000_600_000,
  ...overrides,
});

// The hand-rolled signer must write exactly what jose wrote before it: tokens already issued, clients
// and jose's verification all depend on those bytes.
describe("compact JWS signing (lib/jws)", () => {
  it("signs quotes byte for byte as jose's SignJWT did", async () => {
    const keys = await quoteKeys(readConfig(env).QUOTE_SIGNING_KEYS);
    const key = keys.byKid.get(keys.activeKid) as CryptoKey;
    for (const quote of [
      claims(),
      claims({ dropId: null, drops: [], arm: null, coupon: null, upsellOf: "ord_x" }),
    ]) {
      const token = await signQuote(keys, quote);
      const [, payload] = token.split(".");
      const decoded = JSON.parse(atob((payload ?? "").replaceAll("-", "+").replaceAll("_", "/")));
      const { iss, aud, sub, jti, iat, exp, ...own } = decoded;
      const expected = await new SignJWT(own)
        .setProtectedHeader({ alg: "HS256", typ: "quote+jwt", kid: keys.activeKid })
        .setIssuer(iss)
        .setAudience(aud)
        .setSubject(sub)
        .setJti(jti)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(key);
      expect(token).toBe(expected);
      expect(await verifyQuote(keys, token, quote.issuedAt)).toEqual(quote);
    }
  });

  it("mints entitlement tokens byte for byte as jose's CompactSign did, non-ASCII claims included", async () => {
    const keys = await entitlementKeys(readConfig(env).ENTITLEMENT_SIGNING_KEYS);
    const state = {
      memberId: "mem_ü",
      creatorId: "cre_test",
      version: 3,
      entitlements: [{ key: "backstage", expiresAt: null }],
    };
    const issued = await mintToken(
      keys,
      { issuer: "https://commerce.test", ttlSeconds: 300 },
      state,
      "cre_test",
      1_790_000_000_000,
    );
    const [header, payload] = issued.token.split(".");
    const bytes = Uint8Array.from(atob((payload ?? "").replaceAll("-", "+").replaceAll("_", "/")), (c) =>
      c.charCodeAt(0),
    );
    const expected = await new CompactSign(bytes)
      .setProtectedHeader(JSON.parse(atob(header ?? "")))
      .sign(keys.signer);
    expect(issued.token).toBe(expected);
    const verifier = keys.verifiers.get(keys.activeKid);
    expect(verifier).toBeDefined();
    const { payload: verified } = await jwtVerify(issued.token, (verifier as { key: CryptoKey }).key, {
      currentDate: new Date(1_790_000_000_000),
    });
    expect(verified.sub).toBe("mem_ü");
  });
});
