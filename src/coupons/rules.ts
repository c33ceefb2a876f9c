import type { CouponRow } from "../db/schema";
import type { ErrorCode, FieldError } from "../errors";
import { stepProblem } from "../lib/currency";
import { toIso } from "../lib/time";
import type { CouponTerms } from "../pricing/engine";
import type { CreateCouponInput } from "./schemas";

export type CouponErrorCode = Extract<
  ErrorCode,
  "coupon_unknown" | "coupon_not_applicable" | "coupon_expired" | "coupon_exhausted"
>;

/** Why a coupon cannot be used: the error code to answer with and a sentence for the buyer. */
export interface CouponRefusal {
  code: CouponErrorCode;
  detail: string;
}

export interface CouponAsk {
  offerId: string;
  currency: string;
  now: number;
  /** Paid orders this buyer has already used the coupon on. */
  buyerRedemptions: number;
}

/** Codes are matched case-insensitively by storing and looking them up upper case. */
export const normalizeCode = (code: string): string => code.toUpperCase();

/** The stored offer scope: null means every offer. */
export const parseOfferIds = (raw: string | null): string[] | null =>
  raw === null ? null : (JSON.parse(raw) as string[]);

/**
 * Whether a buyer may use `coupon` on this offer, in this currency, now; null when they may. An archived
 * coupon reads as unknown, so a retired code does not reveal that it once existed.
 */
export function couponRefusal(coupon: CouponRow | undefined, ask: CouponAsk): CouponRefusal | null {
  if (coupon === undefined || coupon.status !== "active") {
    return { code: "coupon_unknown", detail: "No such coupon." };
  }
  const offerIds = parseOfferIds(coupon.offerIds);
  if (offerIds !== null && !offerIds.includes(ask.offerId)) {
    return { code: "coupon_not_applicable", detail: `Coupon ${coupon.code} does not apply to this offer.` };
  }
  if (coupon.currency !== null && coupon.currency !== ask.currency) {
    return {
      code: "coupon_not_applicable",
      detail: `Coupon ${coupon.code} takes an amount off in ${coupon.currency}; this price is in ${ask.currency}.`,
    };
  }
  if (coupon.expiresAt !== null && coupon.expiresAt <= ask.now) {
    return { code: "coupon_expired", detail: `Coupon ${coupon.code} expired at ${toIso(coupon.expiresAt)}.` };
  }
  return exhaustion(coupon, ask.buyerRedemptions);
}

/**
 * Whether the coupon has redemptions left, in all and for this buyer. This is all that payment checks
 * again (see redemptionWrites): a buyer who was quoted the coupon keeps it even if it expires meanwhile.
 */
export function exhaustion(coupon: CouponRow, buyerRedemptions: number): CouponRefusal | null {
  if (coupon.maxRedemptions !== null && coupon.redeemedCount >= coupon.maxRedemptions) {
    return { code: "coupon_exhausted", detail: `Coupon ${coupon.code} has been fully redeemed.` };
  }
  if (coupon.maxPerBuyer !== null && buyerRedemptions >= coupon.maxPerBuyer) {
    return {
      code: "coupon_exhausted",
      detail: `This buyer has used coupon ${coupon.code} the ${coupon.maxPerBuyer} times allowed.`,
    };
  }
  return null;
}

/** What the pricing engine needs to know of a coupon that has already been checked to apply. */
export function couponTerms(coupon: CouponRow): CouponTerms {
  if (coupon.percentOffBps !== null) return { code: coupon.code, kind: "percent", bps: coupon.percentOffBps };
  if (coupon.amountOff !== null && coupon.currency !== null) {
    return { code: coupon.code, kind: "amount", amount: coupon.amountOff, currency: coupon.currency };
  }
  // The coupons_one_discount CHECK makes this unreachable; fail loudly rather than price without it.
  throw new Error(`Coupon ${coupon.id} has no discount`);
}

const err = (path: string, message: string): FieldError => ({ in: "body", path, message });

/** The rules that tie a new coupon's fields together. Pure: offer references are checked in the verbs. */
export function couponShapeErrors(input: CreateCouponInput, now: number): FieldError[] {
  const errors: FieldError[] = [];
  if (input.percent_off !== undefined && input.amount_off !== undefined) {
    errors.push(err("/amount_off", "Give percent_off or amount_off, not both"));
  }
  if (input.percent_off === undefined && input.amount_off === undefined) {
    errors.push(err("/percent_off", "Give percent_off or amount_off"));
  }
  if (input.amount_off !== undefined) {
    const problem = stepProblem(input.amount_off.currency, input.amount_off.amount);
    if (problem !== undefined) errors.push(err("/amount_off/amount", problem));
  }
  const seen = new Set<string>();
  input.offer_ids?.forEach((id, i) => {
    if (seen.has(id)) errors.push(err(`/offer_ids/${i}`, "Listed twice"));
    seen.add(id);
  });
  errors.push(...expiryErrors(input.expires_at, now));
  return errors;
}

/** An expiry must be in the future: a coupon born expired is a mistake, and archiving retires one now. */
export function expiryErrors(expiresAt: string | null | undefined, now: number): FieldError[] {
  if (expiresAt === undefined || expiresAt === null) return [];
  return Date.parse(expiresAt) > now ? [] : [err("/expires_at", "Must be in the future")];
}
