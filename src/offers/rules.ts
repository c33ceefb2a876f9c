import type { OfferRow } from "../db/schema";
import type { FieldError } from "../errors";
import { stepProblem } from "../lib/currency";
import type { ComponentInput, PriceInput } from "./schemas";

/** An offer as it will stand after a create or an update: everything the shape rules look at. */
export interface OfferShape {
  id?: string;
  kind: OfferRow["kind"];
  prices: PriceInput[];
  defaultCurrency: string;
  billingInterval: OfferRow["billingInterval"];
  tierRank: number | null;
  components: ComponentInput[];
  /** A physical good (absent: not). */
  requiresShipping?: boolean;
}

const err = (path: string, message: string): FieldError => ({ in: "body", path, message });

/** The rules that tie an offer's fields together. Pure: reference checks against D1 live in the verbs. */
export function offerShapeErrors(shape: OfferShape): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  shape.prices.forEach((price, i) => {
    if (seen.has(price.currency))
      errors.push(err(`/prices/${i}/currency`, "Each currency may have one price"));
    seen.add(price.currency);
    const step = stepProblem(price.currency, price.amount);
    if (step) errors.push(err(`/prices/${i}/amount`, step));
  });
  if (!seen.has(shape.defaultCurrency)) {
    errors.push(err("/default_currency", "The default currency must be one of the offer's prices"));
  }

  const isMembership = shape.kind === "membership";
  if (isMembership && shape.billingInterval === null)
    errors.push(err("/billing_interval", "Required for memberships"));
  if (isMembership && shape.tierRank === null) errors.push(err("/tier_rank", "Required for memberships"));
  if (!isMembership && shape.billingInterval !== null) {
    errors.push(err("/billing_interval", "Only memberships have a billing interval"));
  }
  if (!isMembership && shape.tierRank !== null)
    errors.push(err("/tier_rank", "Only memberships have a tier rank"));
  if (isMembership && shape.requiresShipping)
    errors.push(err("/requires_shipping", "A membership is not a physical good: it cannot ship"));

  const isBundle = shape.kind === "bundle";
  if (isBundle && shape.components.length === 0) errors.push(err("/components", "Required for bundles"));
  if (!isBundle && shape.components.length > 0)
    errors.push(err("/components", "Only bundles have components"));
  const componentIds = new Set<string>();
  shape.components.forEach((component, i) => {
    if (componentIds.has(component.offer_id)) errors.push(err(`/components/${i}/offer_id`, "Listed twice"));
    if (component.offer_id === shape.id)
      errors.push(err(`/components/${i}/offer_id`, "A bundle cannot contain itself"));
    componentIds.add(component.offer_id);
  });
  return errors;
}

/** Kinds a bundle may contain: things with stock of their own, not tiers or other bundles. */
export const bundleableKinds: ReadonlySet<OfferRow["kind"]> = new Set(["one_time", "upsell"]);
