/**
 * Quote tokens: compact JWS (HS256, `typ: quote+jwt`, `kid` in the header) signed and verified only by
 * this worker, so a symmetric key is enough and costs a few microseconds; nobody else needs to verify a
 * quote, unlike entitlement tokens, which use their own asymmetric keys.
 */
import { base64url, errors, jwtVerify } from "jose";
import { z } from "zod";
import type { QuoteKeyConfig } from "../config";
import { AppError } from "../errors";
import { signCompact } from "../lib/jws";
import { memoizeResolved } from "../lib/memo";
import { lineTypes, type PriceLine } from "../pricing/engine";

const ISSUER = "creator-commerce:quote";
const TYP = "quote+jwt";
const ALG = "HS256";

/** Everything a checkout needs to charge exactly what was quoted, to exactly whom. */
export interface QuoteClaims {
  id: string;
  creatorId: string;
  buyerKey: string;
  offerId: string;
  /** The drop named on the quote (the offer's own), kept for readers written before `drops`. */
  dropId: string | null;
  /**
   * Every drop a checkout of this quote must hold, all or nothing: the offer's own drop, and for a bundle
   * each component's open or upcoming drop, with the units it takes (component quantity × quantity).
   * Empty when nothing quoted sells through a drop.
   */
  drops: QuoteDrop[];
  quantity: number;
  currency: string;
  amount: number;
  arm: { experimentId: string; key: string } | null;
  coupon: string | null;
  upsellOf: string | null;
  lines: PriceLine[];
  issuedAt: number;
  expiresAt: number;
}

export interface QuoteDrop {
  dropId: string;
  quantity: number;
}

export interface QuoteKeys {
  activeKid: string;
  byKid: Map<string, CryptoKey>;
}

/** CryptoKeys are imported once per isolate per configuration, not per request. */
export const quoteKeys = memoizeResolved(importKeys);

async function importKeys(config: QuoteKeyConfig): Promise<QuoteKeys> {
  const entries = await Promise.all(
    Object.entries(config.keys).map(async ([kid, secret]) => {
      const key = await crypto.subtle.importKey(
        "raw",
        base64url.decode(secret),
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign", "verify"],
      );
      return [kid, key] as const;
    }),
  );
  return { activeKid: config.active, byKid: new Map(entries) };
}

// Compact claim names keep the token short enough for a URL or a QR code.
const Line = z.tuple([z.enum(lineTypes), z.number().int()]).rest(z.string());
const Payload = z.object({
  aud: z.string(),
  sub: z.string(),
  jti: z.string(),
  iat: z.number().int(),
  exp: z.number().int(),
  off: z.string(),
  drp: z.string().optional(),
  // Required: a token signed before drops were bound has none, and reading it as "holds nothing" would
  // sell a drop's units without a hold. Such tokens (10 minutes at most) are refused; the buyer re-quotes.
  drs: z.array(z.tuple([z.string(), z.number().int().min(1)])),
  qty: z.number().int().min(1),
  cur: z.string(),
  amt: z.number().int().min(0),
  arm: z.string().optional(),
  cpn: z.string().optional(),
  ups: z.string().optional(),
  ln: z.array(Line),
});

/**
 * The quote as a JWT: the quote's own claims, then iss, aud, sub, jti, iat and exp, in the order (and so
 * the bytes) jose's SignJWT wrote them, signed by lib/jws.
 */
export async function signQuote(keys: QuoteKeys, quote: QuoteClaims): Promise<string> {
  const key = keys.byKid.get(keys.activeKid);
  if (key === undefined) throw new Error("The active quote key is missing");
  const payload = JSON.stringify({
    off: quote.offerId,
    ...(quote.dropId ? { drp: quote.dropId } : {}),
    drs: quote.drops.map((d) => [d.dropId, d.quantity]),
    qty: quote.quantity,
    cur: quote.currency,
    amt: quote.amount,
    ...(quote.arm ? { arm: `${quote.arm.experimentId}:${quote.arm.key}` } : {}),
    ...(quote.coupon ? { cpn: quote.coupon } : {}),
    ...(quote.upsellOf ? { ups: quote.upsellOf } : {}),
    ln: quote.lines.map((l) => (l.ref === undefined ? [l.type, l.amount] : [l.type, l.amount, l.ref])),
    iss: ISSUER,
    aud: quote.creatorId,
    sub: quote.buyerKey,
    jti: quote.id,
    iat: Math.floor(quote.issuedAt / 1000),
    exp: Math.floor(quote.expiresAt / 1000),
  });
  return signCompact({ alg: ALG, typ: TYP, kid: keys.activeKid }, payload, "HMAC", key);
}

const invalid = (detail: string) => new AppError("quote_invalid", detail);

/**
 * A quote this worker signed with a key it still holds, unaltered and unexpired at `now`. Tampering,
 * an unknown kid and any other algorithm are quote_invalid; expiry is quote_expired.
 */
export async function verifyQuote(keys: QuoteKeys, token: string, now: number): Promise<QuoteClaims> {
  const payload = await verifySigned(keys, token, {
    issuer: ISSUER,
    typ: TYP,
    now,
    invalid: () => invalid("The quote token does not verify: it was altered, truncated or not issued here."),
    expired: () => new AppError("quote_expired", "The quote has expired; ask for a new one."),
  });
  const claims = Payload.safeParse(payload);
  if (!claims.success) throw invalid("The quote token is missing claims.");
  const p = claims.data;
  const [experimentId, armKey] = p.arm?.split(":") ?? [];
  return {
    id: p.jti,
    creatorId: p.aud,
    buyerKey: p.sub,
    offerId: p.off,
    dropId: p.drp ?? null,
    drops: p.drs.map(([dropId, quantity]) => ({ dropId, quantity })),
    quantity: p.qty,
    currency: p.cur,
    amount: p.amt,
    arm: experimentId && armKey ? { experimentId, key: armKey } : null,
    coupon: p.cpn ?? null,
    upsellOf: p.ups ?? null,
    lines: p.ln.map(([type, amount, ref]) => ({ type, amount, ...(ref ? { ref } : {}) })),
    issuedAt: p.iat * 1000,
    expiresAt: p.exp * 1000,
  };
}

/**
 * The payload of an HS256 JWS this worker signed with one of `keys`, under `issuer` and `typ`, unaltered
 * (its canonical spelling only) and unexpired at `now`: price quotes and subscription change quotes.
 */
export async function verifySigned(
  keys: QuoteKeys,
  token: string,
  o: { issuer: string; typ: string; now: number; invalid: () => AppError; expired: () => AppError },
): Promise<unknown> {
  try {
    assertCanonicalSignature(token);
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const key = header.kid === undefined ? undefined : keys.byKid.get(header.kid);
        if (key === undefined)
          throw new AppError("quote_invalid", "The token was signed with a key this worker does not hold.");
        return key;
      },
      { algorithms: [ALG], issuer: o.issuer, typ: o.typ, currentDate: new Date(o.now), clockTolerance: 0 },
    );
    return payload;
  } catch (error) {
    if (error instanceof AppError) throw error;
    if (error instanceof errors.JWTExpired) throw o.expired();
    throw o.invalid();
  }
}

/**
 * Signs `claims` as an HS256 JWS under `typ` with the active quote key: the tokens only this worker
 * verifies (buyer tokens, proof-of-work challenges, admissions), each with its own `typ` and `iss`.
 */
export async function signWorkerToken(
  keys: QuoteKeys,
  typ: string,
  claims: Record<string, unknown>,
): Promise<string> {
  const key = keys.byKid.get(keys.activeKid);
  if (key === undefined) throw new Error("The active quote key is missing");
  return signCompact({ alg: ALG, typ, kid: keys.activeKid }, JSON.stringify(claims), "HMAC", key);
}

/**
 * `verifySigned`, then the claims `schema`: every failure but expiry answers `invalid` (a kid this worker
 * does not hold too, which verifySigned words for quotes), and claims of the wrong shape `missing`.
 */
export async function verifyWorkerToken<T extends z.ZodType>(
  keys: QuoteKeys,
  token: string,
  o: {
    issuer: string;
    typ: string;
    now: number;
    schema: T;
    invalid: () => AppError;
    expired: () => AppError;
    missing: () => AppError;
  },
): Promise<z.infer<T>> {
  let payload: unknown;
  try {
    payload = await verifySigned(keys, token, o);
  } catch (error) {
    if (error instanceof AppError && error.code === "quote_invalid") throw o.invalid();
    throw error;
  }
  const parsed = o.schema.safeParse(payload);
  if (!parsed.success) throw o.missing();
  return parsed.data;
}

/**
 * Base64url leaves spare bits in a signature's last character, so two spellings can decode to the same
 * bytes. Only the canonical spelling is accepted, so that no changed character of a quote verifies.
 */
function assertCanonicalSignature(token: string): void {
  const parts = token.split(".");
  const signature = parts[2];
  if (signature === undefined || parts.length !== 3) throw invalid("A quote token has three parts.");
  try {
    if (base64url.encode(base64url.decode(signature)) === signature) return;
  } catch {
    // fall through
  }
  throw invalid("The quote token does not verify: it was altered, truncated or not issued here.");
}
