/**
 * Verifying entitlement tokens: the package's public helper (`creator-commerce-edge/verify`) for other
 * Workers, browsers and Node 20+, and the core this worker's own introspection runs: the worker imports
 * it from here (src/entitlements/), never the other way round. It depends on jose only.
 *
 * The algorithm is pinned (EdDSA over Ed25519), as are the type (`entitlement+jwt`), the issuer, the
 * audience and a clock tolerance; a token names its key by `kid`, and a key past its retirement
 * deadline (the JWK's `exp`) verifies nothing, even from a cached key set.
 */
import { base64url, decodeProtectedHeader, errors, importJWK, type JWK, jwtVerify } from "jose";

export const ENTITLEMENT_ALG = "EdDSA";
export const ENTITLEMENT_TYP = "entitlement+jwt";
/** Anything longer is refused before it is parsed. */
export const MAX_TOKEN_LENGTH = 8192;
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;

export type RejectReason =
  | "too_large"
  | "malformed"
  | "algorithm"
  | "type"
  | "unknown_key"
  | "retired_key"
  | "signature"
  | "expired"
  | "not_yet_valid"
  | "issuer"
  | "audience"
  | "claims"
  | "stale_version";

export class EntitlementTokenError extends Error {
  constructor(
    readonly reason: RejectReason,
    message: string,
  ) {
    super(message);
    this.name = "EntitlementTokenError";
  }
}

/** What a verified token says. Times are epoch milliseconds. */
export interface EntitlementClaims {
  issuer: string;
  /** The member (`sub`). */
  memberId: string;
  audience: string;
  tokenId: string;
  /** The member's token version when minted; revocation bumps it. */
  version: number;
  /** What the member may access: offer ids and named benefits. */
  entitlements: string[];
  issuedAt: number;
  expiresAt: number;
  /**
   * `"session"` for a signed-in member; `"purchase"` for the receipt token a checkout or a till sale
   * hands back: it proves only the entitlements listed, which that purchase paid for, and says nothing
   * about who holds it (the buyer's email was never verified). Never accept it as a sign-in.
   */
  scope: "session" | "purchase";
}

export interface VerificationKey {
  key: CryptoKey;
  /** Epoch ms after which the key verifies nothing; null while it is current. */
  retiresAt: number | null;
}

/** Finds the verification key for a `kid`; undefined when there is none. */
export type KeyLookup = (kid: string) => VerificationKey | undefined | Promise<VerificationKey | undefined>;

export interface VerifyOptions {
  issuer: string;
  /** The audience this surface accepts; a token for any other is refused. */
  audience: string | string[];
  clockToleranceSeconds?: number;
  /** Epoch ms to verify at; defaults to now. */
  now?: number;
}

const reject = (reason: RejectReason, message: string) => new EntitlementTokenError(reason, message);

/** Verifies one token against keys found by `lookup`. Throws EntitlementTokenError with a reason. */
export async function verifyEntitlementToken(
  token: string,
  lookup: KeyLookup,
  options: VerifyOptions,
): Promise<EntitlementClaims> {
  const now = options.now ?? Date.now();
  if (token.length > MAX_TOKEN_LENGTH)
    throw reject("too_large", `Tokens over ${MAX_TOKEN_LENGTH} bytes are refused.`);
  assertCanonicalSignature(token);
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw reject("malformed", "The token is not a compact JWS.");
  }
  if (header.alg !== ENTITLEMENT_ALG)
    throw reject("algorithm", `Only ${ENTITLEMENT_ALG} tokens are accepted.`);
  if (header.typ !== ENTITLEMENT_TYP) throw reject("type", `The token's typ must be ${ENTITLEMENT_TYP}.`);
  if (typeof header.kid !== "string") throw reject("unknown_key", "The token names no key (kid).");
  const found = await lookup(header.kid);
  if (found === undefined) throw reject("unknown_key", `No verification key has kid ${header.kid}.`);
  if (found.retiresAt !== null && now > found.retiresAt) {
    throw reject("retired_key", `Key ${header.kid} was retired; tokens it signed no longer verify.`);
  }
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, found.key, {
      algorithms: [ENTITLEMENT_ALG],
      typ: ENTITLEMENT_TYP,
      issuer: options.issuer,
      audience: options.audience,
      clockTolerance: options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(now),
      requiredClaims: ["sub", "jti", "iat", "nbf", "exp"],
    }));
  } catch (error) {
    throw joseRejection(error);
  }
  return claimsOf(payload);
}

function joseRejection(error: unknown): EntitlementTokenError {
  if (error instanceof errors.JWTExpired) return reject("expired", "The token has expired.");
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === "missing") return reject("claims", `The token has no ${error.claim} claim.`);
    const byClaim: Record<string, RejectReason> = {
      nbf: "not_yet_valid",
      iss: "issuer",
      aud: "audience",
      typ: "type",
    };
    return reject(byClaim[error.claim] ?? "claims", `The token's ${error.claim} claim is not acceptable.`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return reject("algorithm", "The token's algorithm is refused.");
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return reject("signature", "The token's signature does not verify.");
  }
  return reject("malformed", "The token could not be parsed.");
}

function claimsOf(payload: Record<string, unknown>): EntitlementClaims {
  const { iss, sub, aud, jti, ver, ent, iat, exp, scope } = payload;
  const valid =
    typeof iss === "string" &&
    typeof sub === "string" &&
    typeof aud === "string" &&
    typeof jti === "string" &&
    Number.isSafeInteger(ver) &&
    (ver as number) >= 0 &&
    Array.isArray(ent) &&
    ent.every((e) => typeof e === "string") &&
    typeof iat === "number" &&
    typeof exp === "number" &&
    (scope === undefined || scope === "purchase");
  if (!valid) throw reject("claims", "The token's claims are missing or malformed.");
  return {
    issuer: iss,
    memberId: sub,
    audience: aud,
    tokenId: jti,
    version: ver as number,
    entitlements: ent as string[],
    issuedAt: iat * 1000,
    expiresAt: exp * 1000,
    scope: scope === "purchase" ? "purchase" : "session",
  };
}

/**
 * Base64url leaves spare bits in the signature's last character, so several spellings decode to the
 * same bytes. Only the canonical one is accepted, so that no altered character of a token verifies.
 */
function assertCanonicalSignature(token: string): void {
  const parts = token.split(".");
  const signature = parts[2];
  if (signature === undefined || parts.length !== 3) throw reject("malformed", "A token has three parts.");
  let canonical = false;
  try {
    canonical = base64url.encode(base64url.decode(signature)) === signature;
  } catch {
    // not base64url at all
  }
  if (!canonical) throw reject("signature", "The token's signature does not verify.");
}

/** A JWKS entry as this worker publishes it: an Ed25519 public key, with `exp` while it is retiring. */
export type PublishedJwk = JWK & { kid: string; exp?: number };

/** Imports an Ed25519 JWK for verification; null for keys of another type or use. */
export async function verificationKeyOf(jwk: PublishedJwk): Promise<VerificationKey | null> {
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519") return null;
  if ((jwk.alg !== undefined && jwk.alg !== ENTITLEMENT_ALG) || (jwk.use !== undefined && jwk.use !== "sig"))
    return null;
  const { d: _private, exp, ...publicPart } = jwk;
  const key = (await importJWK({ ...publicPart, ext: false }, ENTITLEMENT_ALG)) as CryptoKey;
  return { key, retiresAt: typeof exp === "number" ? exp * 1000 : null };
}

export interface VerifierOptions {
  /** The JWKS URL (`https://<worker>/.well-known/jwks.json`), or the key set itself. */
  jwks: string | URL | { keys: PublishedJwk[] };
  issuer: string;
  audience: string | string[];
  clockToleranceSeconds?: number;
  /**
   * Optional: the member's current token version, when this surface can learn it (a cache fed by
   * the worker, or the member record). Tokens minted before a revocation are then refused at once
   * rather than when they expire.
   */
  tokenVersion?: (memberId: string) => number | undefined | Promise<number | undefined>;
  /** For tests and unusual runtimes. */
  fetch?: typeof fetch;
  now?: () => number;
  /** How long a fetched key set is trusted before it is fetched again; default 5 minutes. */
  cacheSeconds?: number;
}

/**
 * A verifier for one surface: `const verify = createEntitlementVerifier({...}); await verify(token)`.
 * Keys are fetched and imported once, then reused; an unknown kid triggers at most one refetch every
 * 30 seconds. Nothing in flight is shared between calls (Workers forbid awaiting another request's I/O).
 */
export function createEntitlementVerifier(options: VerifierOptions) {
  const now = options.now ?? Date.now;
  const lookup = keyLookupFor(options, now);
  return async (token: string): Promise<EntitlementClaims> => {
    const at = now();
    const claims = await verifyEntitlementToken(token, lookup, {
      issuer: options.issuer,
      audience: options.audience,
      ...(options.clockToleranceSeconds === undefined
        ? {}
        : { clockToleranceSeconds: options.clockToleranceSeconds }),
      now: at,
    });
    const current = await options.tokenVersion?.(claims.memberId);
    if (current !== undefined && claims.version < current) {
      throw reject("stale_version", "The token predates a revocation; refresh it.");
    }
    return claims;
  };
}

const REFETCH_COOLDOWN_MS = 30_000;

function keyLookupFor(options: VerifierOptions, now: () => number): KeyLookup {
  let keys = new Map<string, VerificationKey>();
  let fetchedAt = Number.NEGATIVE_INFINITY;
  const maxAgeMs = (options.cacheSeconds ?? 300) * 1000;
  const load = async (): Promise<void> => {
    const set = await keySetOf(options);
    const entries = await Promise.all(
      set.keys.map(async (jwk) => [jwk.kid, await verificationKeyOf(jwk)] as const),
    );
    keys = new Map(
      entries.filter((e): e is [string, VerificationKey] => e[1] !== null && typeof e[0] === "string"),
    );
    fetchedAt = now();
  };
  return async (kid) => {
    const age = now() - fetchedAt;
    if (age > maxAgeMs || (!keys.has(kid) && age > REFETCH_COOLDOWN_MS)) await load();
    return keys.get(kid);
  };
}

async function keySetOf(options: VerifierOptions): Promise<{ keys: PublishedJwk[] }> {
  if (typeof options.jwks === "object" && !(options.jwks instanceof URL)) return options.jwks;
  const response = await (options.fetch ?? fetch)(String(options.jwks), {
    headers: { accept: "application/json" },
  });
  if (!response.ok) throw new Error(`Fetching the JWKS failed with HTTP ${response.status}`);
  const body = (await response.json()) as { keys?: unknown };
  if (!Array.isArray(body.keys)) throw new Error("The JWKS has no keys array");
  return body as { keys: PublishedJwk[] };
}
