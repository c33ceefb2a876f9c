/**
 * Proof of work for buyer tokens: the server hands out a signed, short-lived challenge; the client
 * finds a nonce such that SHA-256(challenge ‖ nonce) starts with `difficulty` zero bits (2^difficulty
 * hashes on average) and the server checks it with one hash. The challenge is itself a JWS, so the
 * server stores nothing until a solution arrives; only its id is then spent, once (./challenges.ts).
 */
import { z } from "zod";
import { AppError } from "../errors";
import { randomToken } from "../lib/crypto";
import { type QuoteKeys, signWorkerToken, verifyWorkerToken } from "../quotes/token";

const ISSUER = "creator-commerce:pow";
const TYP = "pow-challenge+jwt";

/** Five minutes: a phone solving 22 bits in a browser needs well under one; the rest is slack. */
export const CHALLENGE_TTL_MS = 5 * 60 * 1000;
/**
 * What a challenge may ask: up to 28 bits, beyond which no phone finishes. Drops ask 8 or more (their
 * API's bounds); a smaller challenge is allowed, and earns a token only as many bits as it asked.
 */
export const MIN_DIFFICULTY = 1;
export const MAX_DIFFICULTY = 28;
/** What a `pow` drop without its own difficulty asks for (the drop API renders the same). */
export const DEFAULT_DIFFICULTY = 18;
/** The nonce a solver sends: short and URL-safe, so the hashed input is unambiguous and bounded. */
export const NONCE = /^[A-Za-z0-9_-]{1,64}$/;

export interface Challenge {
  /** `chl_` and 120 random bits: what is spent once. */
  id: string;
  difficulty: number;
  issuedAt: number;
  expiresAt: number;
}

export function newChallenge(difficulty: number, now: number): Challenge {
  // Whole seconds, as the token carries them, so the response and the token agree exactly.
  const issuedAt = Math.floor(now / 1000) * 1000;
  return { id: `chl_${randomToken(24)}`, difficulty, issuedAt, expiresAt: issuedAt + CHALLENGE_TTL_MS };
}

export const signChallenge = (keys: QuoteKeys, challenge: Challenge): Promise<string> =>
  signWorkerToken(keys, TYP, {
    dif: challenge.difficulty,
    iss: ISSUER,
    jti: challenge.id,
    iat: Math.floor(challenge.issuedAt / 1000),
    exp: Math.floor(challenge.expiresAt / 1000),
  });

const Payload = z.object({
  jti: z.string().regex(/^chl_[0-9a-z]{24}$/),
  dif: z.number().int().min(MIN_DIFFICULTY).max(MAX_DIFFICULTY),
  iat: z.number().int(),
  exp: z.number().int(),
});

const invalid = (detail: string) => new AppError("pow_challenge_invalid", detail);
const notOurs = () => invalid("The challenge was altered, truncated or not issued here; ask for a new one.");

export async function verifyChallenge(keys: QuoteKeys, token: string, now: number): Promise<Challenge> {
  const p = await verifyWorkerToken(keys, token, {
    issuer: ISSUER,
    typ: TYP,
    now,
    schema: Payload,
    invalid: notOurs,
    expired: () => invalid("The challenge has expired; ask for a new one and solve it sooner."),
    missing: () => invalid("The challenge is missing claims."),
  });
  return { id: p.jti, difficulty: p.dif, issuedAt: p.iat * 1000, expiresAt: p.exp * 1000 };
}

/** Leading zero bits of a digest, most significant bit of the first byte first. */
export function leadingZeroBits(digest: Uint8Array): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

const encoder = new TextEncoder();

/** The one hash the server spends per solution: SHA-256 over the challenge's text, then the nonce's. */
export async function solutionBits(challenge: string, nonce: string): Promise<number> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(challenge + nonce));
  return leadingZeroBits(new Uint8Array(digest));
}
