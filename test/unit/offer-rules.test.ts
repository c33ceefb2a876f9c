import { describe, expect, it } from "vitest";
import { type OfferShape, offerShapeErrors } from "../../src/offers/rules";

const shape = (overrides: Partial<OfferShape> = {}): OfferShape => ({
  id: "off_self",
  kind: "one_time",
  prices: [{ currency: "USD", amount: 100 }],
  defaultCurrency: "USD",
  billingInterval: null,
  tierRank: null,
  components: [],
  ...overrides,
});
const paths = (s: OfferShape) => offerShapeErrors(s).map((e) => e.path);

describe("offer shape rules", () => {
  it("accepts each kind in its proper shape", () => {
    expect(paths(shape())).toEqual([]);
    expect(paths(shape({ kind: "upsell" }))).toEqual([]);
    expect(paths(shape({ kind: "membership", billingInterval: "month", tierRank: 1 }))).toEqual([]);
    expect(paths(shape({ kind: "bundle", components: [{ offer_id: "off_a", quantity: 1 }] }))).toEqual([]);
  });

  it.each<[string, Partial<OfferShape>, string[]]>([
    [
      "duplicate currencies",
      {
        prices: [
          { currency: "USD", amount: 1 },
          { currency: "USD", amount: 2 },
        ],
      },
      ["/prices/1/currency"],
    ],
    ["a default currency without a price", { defaultCurrency: "EUR" }, ["/default_currency"]],
    ["a membership missing both tier fields", { kind: "membership" }, ["/billing_interval", "/tier_rank"]],
    [
      "tier fields on a one-time offer",
      { billingInterval: "year", tierRank: 2 },
      ["/billing_interval", "/tier_rank"],
    ],
    ["a bundle with nothing in it", { kind: "bundle" }, ["/components"]],
    [
      "components on an upsell",
      { kind: "upsell", components: [{ offer_id: "off_a", quantity: 1 }] },
      ["/components"],
    ],
    [
      "a bundle listing one offer twice",
      {
        kind: "bundle",
        components: [
          { offer_id: "off_a", quantity: 1 },
          { offer_id: "off_a", quantity: 2 },
        ],
      },
      ["/components/1/offer_id"],
    ],
    [
      "a bundle containing itself",
      { kind: "bundle", components: [{ offer_id: "off_self", quantity: 1 }] },
      ["/components/0/offer_id"],
    ],
  ])("reports %s", (_name, overrides, expected) => {
    expect(paths(shape(overrides))).toEqual(expected);
  });
});
