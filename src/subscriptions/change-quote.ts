/**
 * Signed tier-change quotes: switching a subscription to another tier shows the proration before it is
 * charged, and the charge equals what was shown, because the change applies only from the quote that
 * showed it. A quote names the subscription and the version it was computed from, so a quote made
 * before a renewal, a pause or another change no longer applies (409, ask again), and it lives 10 minutes.
 *
 * Proration as Stripe Billing computes it by default: for the rest of the current period, the new
 * price minus the old, pro rata by time, rounded to the minor unit. Positive is charged now with the
 * saved card; negative is refunded now to the card that paid the period. The next renewal charges the
 * new price.
 *
 * Signed with the quote keys (HS256) under a type of its own, so a price quote is never a change quote.
 */
import { z } from "zod";
import { AppError } from "../errors";
import { signCompact } from "../lib/jws";
import { type QuoteKeys, verifySigned } from "../quotes/token";

const ISSUER = "creator-commerce:subscription-change";
const TYP = "subscription-change+jwt";
const ALG = "HS256";
export const CHANGE_QUOTE_TTL_MS = 10 * 60 * 1000;

export interface ChangeQuote {
  id: string;
  creatorId: string;
  subscriptionId: string;
  /** The subscription's version it was computed from. */
  version: number;
  fromOfferId: string;
  toOfferId: string;
  /** The new price per period, minor units. */
  amount: number;
  currency: string;
  /** Charged now when positive, refunded now when negative. */
  proration: number;
  /** The subscription's time the proration was computed at. */
  at: number;
  expiresAt: number;
}

/** The proration for the rest of the period (see the file's comment). */
export function prorate(p: {
  oldAmount: number;
  newAmount: number;
  periodStart: number;
  periodEnd: number;
  at: number;
}): number {
  const total = p.periodEnd - p.periodStart;
  const remaining = Math.min(total, Math.max(0, p.periodEnd - p.at));
  return total <= 0 ? 0 : Math.round(((p.newAmount - p.oldAmount) * remaining) / total);
}

const Payload = z.object({
  iss: z.literal(ISSUER),
  jti: z.string(),
  aud: z.string(),
  sub: z.string(),
  ver: z.number().int(),
  frm: z.string(),
  to: z.string(),
  amt: z.number().int().min(0),
  cur: z.string(),
  pro: z.number().int(),
  at: z.number().int(),
  iat: z.number().int(),
  exp: z.number().int(),
});

export async function signChangeQuote(keys: QuoteKeys, q: ChangeQuote): Promise<string> {
  const key = keys.byKid.get(keys.activeKid);
  if (key === undefined) throw new Error("The active quote key is missing");
  const payload = JSON.stringify({
    iss: ISSUER,
    jti: q.id,
    aud: q.creatorId,
    sub: q.subscriptionId,
    ver: q.version,
    frm: q.fromOfferId,
    to: q.toOfferId,
    amt: q.amount,
    cur: q.currency,
    pro: q.proration,
    at: q.at,
    iat: Math.floor((q.expiresAt - CHANGE_QUOTE_TTL_MS) / 1000),
    exp: Math.floor(q.expiresAt / 1000),
  });
  return signCompact({ alg: ALG, typ: TYP, kid: keys.activeKid }, payload, "HMAC", key);
}

const invalid = () =>
  new AppError(
    "quote_invalid",
    "The change quote does not verify: it was altered, truncated or not issued here.",
  );

/** A change quote this worker signed, unaltered and unexpired at `now` (wall clock). */
export async function verifyChangeQuote(keys: QuoteKeys, token: string, now: number): Promise<ChangeQuote> {
  const payload = await verifySigned(keys, token, {
    issuer: ISSUER,
    typ: TYP,
    now,
    invalid,
    expired: () => new AppError("quote_expired", "The change quote has expired; ask for a new one."),
  });
  const parsed = Payload.safeParse(payload);
  if (!parsed.success) throw invalid();
  const p = parsed.data;
  return {
    id: p.jti,
    creatorId: p.aud,
    subscriptionId: p.sub,
    version: p.ver,
    fromOfferId: p.frm,
    toOfferId: p.to,
    amount: p.amt,
    currency: p.cur,
    proration: p.pro,
    at: p.at,
    expiresAt: p.exp * 1000,
  };
}
