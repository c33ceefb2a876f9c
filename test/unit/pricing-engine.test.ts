import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chargeStep } from "../../src/lib/currency";
import { chargeableProblem, chargeLimits } from "../../src/payments/limits";
import {
  type ArmAdjustment,
  type CouponTerms,
  type PricedOffer,
  type PricingRequest,
  priceOffer,
  resolveCurrency,
} from "../../src/pricing/engine";
import { percentOf } from "../../src/pricing/rounding";

const offer = (overrides: Partial<PricedOffer> = {}): PricedOffer => ({
  id: "off_t",
  defaultCurrency: "USD",
  prices: { USD: { amount: 1000, floor: null } },
  countryPrices: {},
  memberDiscounts: [],
  components: [],
  experiment: null,
  ...overrides,
});
const request = (overrides: Partial<PricingRequest> = {}): PricingRequest => ({
  offer: offer(),
  quantity: 1,
  currency: "USD",
  country: null,
  member: null,
  buyerKey: "anon:buyer-0001",
  coupon: null,
  ...overrides,
});
const lineTypes = (r: PricingRequest) => priceOffer(r).lines.map((l) => [l.type, l.amount]);

describe("rounding per currency", () => {
  it.each<[string, number, number, number, string]>([
    // currency, amount, bps, expected, why
    ["USD", 999, -1000, -100, "99.9 rounds to 100 off"],
    ["USD", 4, -1250, -1, "a discount's exact half rounds up (buyer's favour)"],
    ["USD", 4, 1250, 0, "a surcharge's exact half rounds down (buyer's favour)"],
    ["USD", 7, 1250, 1, "0.875 rounds to 1"],
    ["JPY", 50, -1500, -8, "yen are the minor unit: 7.5 yen off rounds to 8"],
    ["JPY", 999, -1000, -100, "zero-decimal currencies round to whole yen"],
    ["KWD", 1250, -1000, -130, "three-decimal: multiples of 10 fils; 125 is a half step, so 130"],
    ["KWD", 1240, -1000, -120, "124 rounds to 120"],
    ["HUF", 99_900, -1000, -10_000, "HUF charges whole forints: 9,990 minor units rounds to 10,000"],
    ["EUR", 0, -5000, 0, "nothing of nothing"],
  ])("%s %d at %d bps is %d (%s)", (currency, amount, bps, expected) => {
    expect(percentOf(amount, bps, currency)).toBe(expected);
  });
});

describe("the pricing engine, by example", () => {
  it("prices the currency's price times the quantity", () => {
    expect(priceOffer(request({ quantity: 3 }))).toMatchObject({
      total: 3000,
      lines: [{ type: "base", amount: 3000 }],
    });
  });

  it("adds a localization line for a country's purchasing-power price", () => {
    const r = request({
      offer: offer({ countryPrices: { BR: { currency: "USD", amount: 600 } } }),
      country: "BR",
    });
    expect(lineTypes(r)).toEqual([
      ["base", 1000],
      ["localization", -400],
    ]);
    expect(priceOffer(r).lines[1]?.ref).toBe("BR");
  });

  it("gives a member the best discount at or below their tier's rank", () => {
    const discounts = [
      { tierOfferId: "off_fan", tierRank: 1, percentOffBps: 500 },
      { tierOfferId: "off_merch", tierRank: 2, percentOffBps: 1000 },
      { tierOfferId: "off_vip", tierRank: 3, percentOffBps: 2500 },
    ];
    const priced = (tierRank: number | null) =>
      priceOffer(
        request({
          offer: offer({ memberDiscounts: discounts }),
          member: tierRank === null ? null : { tierRank },
        }),
      ).total;
    expect([priced(null), priced(1), priced(2), priced(3), priced(9)]).toEqual([1000, 950, 900, 750, 750]);
  });

  it("applies the arm, then the member discount, then the coupon, and stops at the floor", () => {
    const r = request({
      offer: offer({
        prices: { USD: { amount: 1000, floor: 600 } },
        memberDiscounts: [{ tierOfferId: "off_t1", tierRank: 1, percentOffBps: 1000 }],
        experiment: {
          id: "exp_1",
          arms: [{ key: "low", weight: 1, adjustment: { kind: "percent", bps: -2000 } }],
        },
      }),
      member: { tierRank: 1 },
      coupon: { code: "HALF", kind: "percent", bps: 5000 },
    });
    expect(lineTypes(r)).toEqual([
      ["base", 1000],
      ["experiment", -200],
      ["member_discount", -80],
      ["coupon", -360],
      ["floor", 240],
    ]);
    expect(priceOffer(r)).toMatchObject({ total: 600, arm: { experimentId: "exp_1", key: "low" } });
  });

  it("never lets an amount coupon take the total below zero", () => {
    const r = request({ coupon: { code: "BIG", kind: "amount", amount: 5000, currency: "USD" } });
    expect(lineTypes(r)).toEqual([
      ["base", 1000],
      ["coupon", -1000],
    ]);
  });

  it("prices a bundle as its components with the saving as a bundle discount", () => {
    const bundle = offer({
      prices: { USD: { amount: 2500, floor: null }, EUR: { amount: 2400, floor: null } },
      components: [
        { offerId: "off_a", quantity: 2, prices: { USD: 1000, EUR: 900 } },
        { offerId: "off_b", quantity: 1, prices: { USD: 800 } },
      ],
    });
    expect(lineTypes(request({ offer: bundle, quantity: 2 }))).toEqual([
      ["base", 5600],
      ["bundle_discount", -600],
    ]);
    // A component without a EUR price: the bundle's own price is the base.
    expect(lineTypes(request({ offer: bundle, currency: "EUR" }))).toEqual([["base", 2400]]);
  });
});

describe("what a payment provider can charge (Stripe's documented limits)", () => {
  it.each([
    ["USD", 50, 99_999_999],
    ["EUR", 50, 99_999_999],
    ["GBP", 30, 99_999_999],
    ["JPY", 50, 99_999_999],
    ["HUF", 17_500, 99_999_999],
    ["MXN", 1_000, 99_999_999],
    ["IDR", 50, 999_999_999],
    ["INR", 50, 999_999_999],
    ["COP", 50, 999_999_999],
    ["XAF", 1, 99_999_999],
  ])("%s charges from %i to %i minor units, and 0", (currency, minimum, maximum) => {
    expect(chargeLimits(currency)).toEqual({ minimum, maximum });
    for (const ok of [0, minimum, maximum]) expect(chargeableProblem(currency, ok)).toBeUndefined();
    expect(chargeableProblem(currency, maximum + 1)).toContain(String(maximum));
    if (minimum > 1) expect(chargeableProblem(currency, minimum - 1)).toContain(String(minimum));
  });
});

describe("currency resolution", () => {
  const priced = offer({
    prices: {
      USD: { amount: 1, floor: null },
      EUR: { amount: 1, floor: null },
      BRL: { amount: 1, floor: null },
    },
    countryPrices: { AR: { currency: "USD", amount: 1 } },
  });
  const fromTable = (country: string) => ({ DE: "EUR", BR: "BRL", JP: "JPY", AR: "ARS" })[country];
  it.each<[string | null, string | null, unknown]>([
    ["EUR", "BR", { currency: "EUR", source: "request" }],
    [null, "DE", { currency: "EUR", source: "country" }],
    [null, "AR", { currency: "USD", source: "country" }],
    [null, "JP", { currency: "USD", source: "default" }],
    [null, null, { currency: "USD", source: "default" }],
    ["JPY", "DE", { unpriced: "JPY" }],
  ])("asked %s from %s → %j", (requested, country, expected) => {
    expect(resolveCurrency(priced, requested, country, fromTable)).toEqual(expected);
  });
});

const currencies = ["USD", "EUR", "JPY", "KWD", "HUF", "BHD"] as const;
const multipleOf = (step: number, min: number, max: number) =>
  fc.integer({ min: Math.ceil(min / step), max: Math.floor(max / step) }).map((n) => n * step);

const arbitraryRequest = fc.constantFrom(...currencies).chain((currency) => {
  const step = chargeStep(currency);
  const amount = multipleOf(step, 0, 1_000_000);
  const adjustment: fc.Arbitrary<ArmAdjustment> = fc.oneof(
    fc.constant<ArmAdjustment>({ kind: "none" }),
    fc.integer({ min: -9000, max: 20_000 }).map((bps): ArmAdjustment => ({ kind: "percent", bps })),
    multipleOf(step, -2_000_000, 2_000_000).map(
      (a): ArmAdjustment => ({ kind: "amount", amounts: { [currency]: a } }),
    ),
  );
  const coupon: fc.Arbitrary<CouponTerms | null> = fc.oneof(
    fc.constant(null),
    fc.integer({ min: 1, max: 10_000 }).map((bps): CouponTerms => ({ code: "P", kind: "percent", bps })),
    multipleOf(step, step, 2_000_000).map(
      (a): CouponTerms => ({ code: "A", kind: "amount", amount: a, currency }),
    ),
  );
  return fc
    .record({
      price: amount,
      floorShare: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
      local: fc.option(amount),
      arms: fc.array(fc.record({ weight: fc.integer({ min: 1, max: 100 }), adjustment }), {
        minLength: 1,
        maxLength: 4,
      }),
      withExperiment: fc.boolean(),
      discountBps: fc.option(fc.integer({ min: 1, max: 10_000 })),
      member: fc.option(fc.integer({ min: 1, max: 5 })),
      coupon,
      quantity: fc.integer({ min: 1, max: 100 }),
      buyerKey: fc.string({ minLength: 1, maxLength: 40 }),
    })
    .map(
      ({
        price,
        floorShare,
        local,
        arms,
        withExperiment,
        discountBps,
        member,
        coupon,
        quantity,
        buyerKey,
      }) => {
        const floor = floorShare === null ? null : Math.floor((price * floorShare) / step) * step;
        return {
          floor,
          step,
          request: request({
            currency,
            quantity,
            buyerKey,
            coupon,
            country: local === null ? null : "ZZ",
            member: member === null ? null : { tierRank: member },
            offer: offer({
              defaultCurrency: currency,
              prices: { [currency]: { amount: price, floor } },
              countryPrices: local === null ? {} : { ZZ: { currency, amount: local } },
              memberDiscounts:
                discountBps === null
                  ? []
                  : [{ tierOfferId: "off_tier", tierRank: 2, percentOffBps: discountBps }],
              experiment: withExperiment
                ? { id: "exp_p", arms: arms.map((a, i) => ({ key: `arm${i}`, ...a })) }
                : null,
            }),
          }),
        };
      },
    );
});

describe("pricing engine properties (fast-check)", () => {
  it("the total is the sum of the lines, never negative, never below the floor, chargeable, deterministic", () => {
    fc.assert(
      fc.property(arbitraryRequest, ({ request: r, floor, step }) => {
        const decision = priceOffer(r);
        const sum = decision.lines.reduce((s, l) => s + l.amount, 0);
        expect(decision.total).toBe(sum);
        expect(decision.total).toBeGreaterThanOrEqual(0);
        expect(decision.total).toBeGreaterThanOrEqual((floor ?? 0) * r.quantity);
        expect(decision.total % step).toBe(0);
        for (const line of decision.lines) expect(Number.isSafeInteger(line.amount)).toBe(true);
        expect(decision.lines[0]?.type).toBe("base");
        expect(priceOffer(r)).toEqual(decision);
      }),
      { numRuns: 2_000 },
    );
  });

  it("a discount never raises the price and a surcharge never lowers it", () => {
    fc.assert(
      fc.property(arbitraryRequest, ({ request: r }) => {
        for (const line of priceOffer(r).lines) {
          if (line.type === "member_discount" || line.type === "coupon" || line.type === "bundle_discount") {
            expect(line.amount).toBeLessThan(0);
          }
          if (line.type === "floor") expect(line.amount).toBeGreaterThan(0);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});
