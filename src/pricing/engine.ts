/**
 * The pricing engine: pure, synchronous, deterministic. Everything it needs arrives in the request
 * (loaded and cached by ./catalog.ts); it never reads a clock, a database or the network.
 *
 * Order of lines, each an integer in the currency's minor unit, for the whole quantity:
 *   base             the currency's price (a bundle: the sum of its components' prices)
 *   localization     the buyer country's price minus the currency's price, when the creator set one
 *   bundle_discount  a bundle's own price minus the sum of its components, when that is a saving
 *   experiment       the buyer's arm: a percent of the list price, or a fixed amount per unit
 *   member_discount  the best discount among the member's tier and the tiers below it
 *   coupon           a percent of what is left, or a fixed amount off the order (never below zero)
 *   floor            whatever brings the total back up to the creator's floor (times quantity)
 * The total is the sum of the lines, never negative, never below the floor, and a multiple of the
 * currency's charge step, because every line is.
 */
import { assignArm } from "./assign";
import { percentOf } from "./rounding";

export const lineTypes = [
  "base",
  "localization",
  "bundle_discount",
  "experiment",
  "member_discount",
  "coupon",
  "floor",
] as const;
export type LineType = (typeof lineTypes)[number];

export interface PriceLine {
  type: LineType;
  amount: number;
  /** What produced the line: the tier, `experiment:arm`, the coupon code, the country. */
  ref?: string;
}

export interface PriceEntry {
  amount: number;
  floor: number | null;
}

export type ArmAdjustment =
  | { kind: "none" }
  | { kind: "percent"; bps: number }
  /** Signed minor units per unit, by currency; a currency not listed is not adjusted. */
  | { kind: "amount"; amounts: Readonly<Record<string, number>> };

export interface ExperimentArm {
  key: string;
  weight: number;
  adjustment: ArmAdjustment;
}

export interface RunningExperiment {
  id: string;
  arms: readonly ExperimentArm[];
}

export interface PricedOffer {
  id: string;
  defaultCurrency: string;
  prices: Readonly<Record<string, PriceEntry>>;
  /** Country (ISO 3166-1 alpha-2) → the price there, in one of the offer's currencies. */
  countryPrices: Readonly<Record<string, { currency: string; amount: number }>>;
  memberDiscounts: readonly { tierOfferId: string; tierRank: number; percentOffBps: number }[];
  /** Bundles only: each component's quantity and its price table (currency → amount). */
  components: readonly { offerId: string; quantity: number; prices: Readonly<Record<string, number>> }[];
  experiment: RunningExperiment | null;
}

export type CouponTerms =
  | { code: string; kind: "percent"; bps: number }
  | { code: string; kind: "amount"; amount: number; currency: string };

export interface PricingRequest {
  offer: PricedOffer;
  quantity: number;
  /** Already resolved (see resolveCurrency) and priced by the offer. */
  currency: string;
  country: string | null;
  member: { tierRank: number } | null;
  buyerKey: string;
  /** Already checked to apply to this offer and currency, and not exhausted. */
  coupon: CouponTerms | null;
}

export interface PriceDecision {
  currency: string;
  quantity: number;
  lines: PriceLine[];
  total: number;
  arm: { experimentId: string; key: string } | null;
}

export function priceOffer(request: PricingRequest): PriceDecision {
  const { offer, quantity, currency } = request;
  const entry = offer.prices[currency];
  if (entry === undefined) throw new Error(`Offer ${offer.id} has no ${currency} price`);
  const lines: PriceLine[] = [];
  const add = (type: LineType, amount: number, ref?: string) => {
    if (amount !== 0) lines.push(ref === undefined ? { type, amount } : { type, amount, ref });
  };

  // List price per unit: the country's price if the creator set one in this currency.
  const local = request.country === null ? undefined : offer.countryPrices[request.country];
  const listUnit = local?.currency === currency ? local.amount : entry.amount;
  const componentsUnit = componentsSum(offer, currency);
  if (componentsUnit !== null && componentsUnit > listUnit) {
    lines.push({ type: "base", amount: componentsUnit * quantity });
    add("bundle_discount", (listUnit - componentsUnit) * quantity);
  } else {
    lines.push({ type: "base", amount: entry.amount * quantity });
    add("localization", (listUnit - entry.amount) * quantity, request.country ?? undefined);
  }
  const list = listUnit * quantity;

  const arm = offer.experiment
    ? assignArm(offer.experiment.id, request.buyerKey, offer.experiment.arms)
    : null;
  if (arm && offer.experiment) {
    add(
      "experiment",
      armAdjustment(arm.adjustment, list, quantity, currency),
      `${offer.experiment.id}:${arm.key}`,
    );
  }

  const discount = memberDiscount(offer, request.member);
  if (discount) {
    add(
      "member_discount",
      percentOf(Math.max(0, sum(lines)), -discount.percentOffBps, currency),
      discount.tierOfferId,
    );
  }

  const coupon = request.coupon;
  if (coupon) {
    const subtotal = Math.max(0, sum(lines));
    const off =
      coupon.kind === "percent"
        ? -percentOf(subtotal, -coupon.bps, currency)
        : Math.min(coupon.amount, subtotal);
    add("coupon", -off, coupon.code);
  }

  const floor = (entry.floor ?? 0) * quantity;
  const beforeFloor = sum(lines);
  if (beforeFloor < floor) add("floor", floor - beforeFloor);

  return {
    currency,
    quantity,
    lines,
    total: sum(lines),
    arm: arm && offer.experiment ? { experimentId: offer.experiment.id, key: arm.key } : null,
  };
}

const sum = (lines: readonly PriceLine[]): number => lines.reduce((total, line) => total + line.amount, 0);

/** A bundle's components priced in `currency`, or null when it is not a bundle or one is not priced. */
function componentsSum(offer: PricedOffer, currency: string): number | null {
  if (offer.components.length === 0) return null;
  let total = 0;
  for (const component of offer.components) {
    const price = component.prices[currency];
    if (price === undefined) return null;
    total += price * component.quantity;
  }
  return total;
}

function armAdjustment(adjustment: ArmAdjustment, list: number, quantity: number, currency: string): number {
  switch (adjustment.kind) {
    case "none":
      return 0;
    case "percent":
      return percentOf(list, adjustment.bps, currency);
    case "amount":
      return (adjustment.amounts[currency] ?? 0) * quantity;
  }
}

/** Higher tiers include the perks of lower ones: the best discount at or below the member's rank. */
function memberDiscount(offer: PricedOffer, member: PricingRequest["member"]) {
  if (member === null) return undefined;
  let best: PricedOffer["memberDiscounts"][number] | undefined;
  for (const discount of offer.memberDiscounts) {
    if (discount.tierRank <= member.tierRank && discount.percentOffBps > (best?.percentOffBps ?? 0))
      best = discount;
  }
  return best;
}

export type CurrencySource = "request" | "country" | "default";

/**
 * The currency a buyer is quoted in: the one they asked for; else their country's, when the offer is
 * priced in it (or the creator set a price for that country); else the offer's default. An asked-for
 * currency the offer has no price in is an error the caller reports, never silently replaced.
 */
export function resolveCurrency(
  offer: Pick<PricedOffer, "defaultCurrency" | "prices" | "countryPrices">,
  requested: string | null,
  country: string | null,
  currencyOfCountry: (country: string) => string | undefined,
): { currency: string; source: CurrencySource } | { unpriced: string } {
  if (requested !== null) {
    return offer.prices[requested] ? { currency: requested, source: "request" } : { unpriced: requested };
  }
  if (country !== null) {
    const local = offer.countryPrices[country]?.currency ?? currencyOfCountry(country);
    if (local !== undefined && offer.prices[local]) return { currency: local, source: "country" };
  }
  return { currency: offer.defaultCurrency, source: "default" };
}
