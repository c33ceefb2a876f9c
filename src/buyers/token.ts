/**
 * Buyer tokens: a compact JWS (HS256, `typ: buyer+jwt`) naming a buyer id the server chose. A client
 * cannot invent one, so an identity costs a request to the mint route, which is rate-limited per
 * connecting IP and, for a drop that asks, a proof of work. Signed with the quote keys: only this
 * worker reads them, so a symmetric key is enough, and rotation is the quote keys' rotation.
 */
import { z } from "zod";
import { AppError } from "../errors";
import { randomToken } from "../lib/crypto";
import { type QuoteKeys, signWorkerToken, verifyWorkerToken } from "../quotes/token";

const ISSUER = "creator-commerce:buyer";
const TYP = "buyer+jwt";

/** A day: long enough to outlive a drop's opening minutes, short enough that a sold token goes stale. */
export const BUYER_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;

/** What a verified token says: who the buyer is and the proof-of-work bits spent to get it. */
export interface BuyerClaims {
  /** `byr_` and 120 random bits, chosen by the server. */
  buyerId: string;
  powBits: number;
  issuedAt: number;
  expiresAt: number;
}

/** The key per-buyer caps and quotes count against: distinct from Buyer-Id's `anon:`, so never confused. */
export const tokenBuyerKey = (buyerId: string): string => `btk:${buyerId}`;

// `byr_` is written here rather than in lib/ids.ts: no row is ever stored under it.
export const newBuyerId = (): string => `byr_${randomToken(24)}`;

const Payload = z.object({
  sub: z.string().regex(/^byr_[0-9a-z]{24}$/),
  pow: z.number().int().min(0).max(64),
  iat: z.number().int(),
  exp: z.number().int(),
});

export const signBuyerToken = (keys: QuoteKeys, claims: BuyerClaims): Promise<string> =>
  signWorkerToken(keys, TYP, {
    pow: claims.powBits,
    iss: ISSUER,
    sub: claims.buyerId,
    iat: Math.floor(claims.issuedAt / 1000),
    exp: Math.floor(claims.expiresAt / 1000),
  });

const invalid = (detail: string) => new AppError("buyer_token_invalid", detail);
const notOurs = () =>
  invalid("The Buyer-Token does not verify: it was altered, truncated or not issued here. Mint a new one.");

/**
 * A token this worker signed with a key it still holds, unaltered and unexpired at `now`. Every failure
 * is 401 buyer_token_invalid: the client's remedy is the same (mint another), and the detail says which.
 */
export async function verifyBuyerToken(keys: QuoteKeys, token: string, now: number): Promise<BuyerClaims> {
  const p = await verifyWorkerToken(keys, token, {
    issuer: ISSUER,
    typ: TYP,
    now,
    schema: Payload,
    invalid: notOurs,
    expired: () => invalid("The Buyer-Token has expired; mint a new one at POST /v1/buyer-tokens."),
    missing: () => invalid("The Buyer-Token is missing claims."),
  });
  return { buyerId: p.sub, powBits: p.pow, issuedAt: p.iat * 1000, expiresAt: p.exp * 1000 };
}
