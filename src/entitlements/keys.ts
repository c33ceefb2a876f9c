/**
 * Entitlement signing keys, from the ENTITLEMENT_SIGNING_KEYS secret (see config.ts). They are parsed
 * into CryptoKeys once per isolate per configuration and reused: importing a JWK costs more than signing.
 * Private key material stays inside non-extractable CryptoKeys; only public parts are ever rendered.
 */
import { importJWK } from "jose";
import { ENTITLEMENT_ALG, type VerificationKey, verificationKeyOf } from "../../clients/verifier";
import type { EntitlementKeyConfig } from "../config";
import { memoizeResolved } from "../lib/memo";

/** A verifying key as the JWKS publishes it: public parts only, with `exp` while it is retiring. */
export interface PublicJwk {
  kty: "OKP";
  crv: "Ed25519";
  kid: string;
  x: string;
  alg: typeof ENTITLEMENT_ALG;
  use: "sig";
  /** The retirement deadline, epoch seconds. */
  exp?: number;
}

export interface EntitlementKeys {
  activeKid: string;
  signer: CryptoKey;
  verifiers: Map<string, VerificationKey>;
  /** In configuration order. */
  published: PublicJwk[];
}

export const entitlementKeys = memoizeResolved(importKeys);

async function importKeys(config: EntitlementKeyConfig): Promise<EntitlementKeys> {
  const published = config.keys.map(
    ({ kty, crv, kid, x, retire_at }): PublicJwk => ({
      kty,
      crv,
      kid,
      x,
      alg: ENTITLEMENT_ALG,
      use: "sig",
      ...(retire_at === undefined ? {} : { exp: Math.floor(Date.parse(retire_at) / 1000) }),
    }),
  );
  const verifiers = new Map<string, VerificationKey>();
  for (const jwk of published) {
    const key = await verificationKeyOf(jwk);
    if (key !== null) verifiers.set(jwk.kid, key);
  }
  const active = config.keys.find((k) => k.kid === config.active);
  if (active?.d === undefined) throw new Error("The active entitlement key has no private part");
  const { retire_at: _deadline, ...activeJwk } = active;
  const signer = (await importJWK({ ...activeJwk, ext: false }, ENTITLEMENT_ALG)) as CryptoKey;
  return { activeKid: config.active, signer, verifiers, published };
}

/** The keys a verifier should hold at `now`: every key not yet past its retirement deadline. */
export const publishedAt = (keys: EntitlementKeys, now: number): PublicJwk[] =>
  keys.published.filter((k) => k.exp === undefined || k.exp * 1000 > now);
