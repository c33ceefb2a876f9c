/**
 * Minting entitlement tokens: compact JWS, EdDSA over Ed25519, `typ: entitlement+jwt`, the signing key's
 * `kid` in the header. Pure apart from the signature: the caller brings the member's state and the time.
 */

import { ENTITLEMENT_ALG, ENTITLEMENT_TYP } from "../../clients/verifier";
import { newId } from "../lib/ids";
import { signCompact } from "../lib/jws";
import type { EntitlementKeys } from "./keys";

/** What a token says about a member, read in one go (see store.ts). */
export interface MemberTokenState {
  memberId: string;
  creatorId: string;
  version: number;
  /** Active entitlements only: not revoked, not expired. */
  entitlements: { key: string; expiresAt: number | null }[];
}

export interface TokenSettings {
  issuer: string;
  ttlSeconds: number;
}

export interface IssuedToken {
  token: string;
  tokenId: string;
  expiresAt: number;
  entitlements: string[];
}

/** A token is for the creator (`cre_…`) or one of the creator's surfaces (`cre_…:overlay`). */
export const audienceOf = (creatorId: string, surface: string | undefined): string =>
  surface === undefined ? creatorId : `${creatorId}:${surface}`;

/**
 * The token lives `ttlSeconds`, or less when an entitlement in it ends sooner, so that no token ever
 * claims access past an entitlement's end. Entitlements appear once each, sorted, as bare keys.
 */
export async function mintToken(
  keys: EntitlementKeys,
  settings: TokenSettings,
  state: MemberTokenState,
  audience: string,
  now: number,
  scope: "session" | "purchase" = "session",
): Promise<IssuedToken> {
  const issuedAt = Math.floor(now / 1000);
  let expiresAt = issuedAt + settings.ttlSeconds;
  for (const { expiresAt: end } of state.entitlements) {
    if (end !== null) expiresAt = Math.min(expiresAt, Math.max(issuedAt + 1, Math.floor(end / 1000)));
  }
  const entitlements = [...new Set(state.entitlements.map((e) => e.key))].sort();
  const tokenId = newId("token");
  // The claims set is built here and signed by lib/jws: jose's SignJWT (and CompactSign) would clone and
  // re-check claims and a header we construct ourselves, which cost as much CPU as the signature (profiled).
  const claims = {
    iss: settings.issuer,
    sub: state.memberId,
    aud: audience,
    iat: issuedAt,
    nbf: issuedAt,
    exp: expiresAt,
    jti: tokenId,
    ent: entitlements,
    ver: state.version,
    // A purchase receipt says so; a session token carries no scope (tokens minted before it still verify).
    ...(scope === "purchase" ? { scope } : {}),
  };
  const token = await signCompact(
    { alg: ENTITLEMENT_ALG, typ: ENTITLEMENT_TYP, kid: keys.activeKid },
    JSON.stringify(claims),
    "Ed25519",
    keys.signer,
  );
  return { token, tokenId, expiresAt: expiresAt * 1000, entitlements };
}
