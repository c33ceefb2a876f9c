import countryToCurrency from "country-to-currency";
import { describe, expect, it } from "vitest";
import { api } from "../support/api";
import { authorisationSuite } from "../support/auth-suite";
import { createOffer, membershipTier, oneTimeOffer } from "../support/fixtures";
import { createTenant, tableCounts } from "../support/tenants";

const table = (overrides: Record<string, unknown> = {}) => ({
  prices: [
    { currency: "USD", amount: 1000, floor: 700 },
    { currency: "EUR", amount: 950 },
  ],
  country_prices: [{ country: "BR", currency: "USD", amount: 600 }],
  member_discounts: [] as unknown[],
  ...overrides,
});

describe("PUT /v1/offers/{id}/price-table", () => {
  it("replaces prices, floors, country prices and member discounts, and reads back the same", async () => {
    const tenant = await createTenant();
    const tier = await createOffer(tenant, membershipTier());
    const offer = await createOffer(tenant);
    const body = table({ member_discounts: [{ tier_offer_id: tier.id, percent_off: 12.5 }] });
    const put = await api("PUT", `/v1/offers/${offer.id}/price-table`, { key: tenant.key, body });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      object: "price_table",
      offer_id: offer.id,
      default_currency: "USD",
      prices: [
        { currency: "EUR", amount: 950, floor: null },
        { currency: "USD", amount: 1000, floor: 700 },
      ],
      country_prices: [{ country: "BR", currency: "USD", amount: 600 }],
      member_discounts: [{ tier_offer_id: tier.id, percent_off: 12.5 }],
    });
    const got = await api("GET", `/v1/offers/${offer.id}/price-table`, { key: tenant.key });
    expect(got.body).toEqual(put.body);
    const offerView = await api("GET", `/v1/offers/${offer.id}`, { key: tenant.key });
    expect(offerView.body.prices).toEqual([
      { currency: "EUR", amount: 950 },
      { currency: "USD", amount: 1000 },
    ]);
  });

  it("stores the largest table the schema allows, beyond D1's 100 parameters per statement", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const currencies = ["USD", ...Intl.supportedValuesOf("currency").filter((c) => c !== "USD")].slice(0, 50);
    const countries = Object.keys(countryToCurrency).slice(0, 250);
    const body = {
      prices: currencies.map((currency) => ({ currency, amount: 10_000, floor: 5_000 })),
      country_prices: countries.map((country) => ({ country, currency: "USD", amount: 8_000 })),
    };
    const put = await api("PUT", `/v1/offers/${offer.id}/price-table`, { key: tenant.key, body });
    expect(put.status).toBe(200);
    const got = await api("GET", `/v1/offers/${offer.id}/price-table`, { key: tenant.key });
    expect(got.body.prices).toHaveLength(50);
    expect(got.body.country_prices).toHaveLength(250);
  });

  it("keeps floors (capped) when an offer's prices are patched, and drops country prices of removed currencies", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    await api("PUT", `/v1/offers/${offer.id}/price-table`, {
      key: tenant.key,
      body: table({ country_prices: [{ country: "DE", currency: "EUR", amount: 900 }] }),
    });
    const patched = await api("PATCH", `/v1/offers/${offer.id}`, {
      key: tenant.key,
      body: { prices: [{ currency: "USD", amount: 500 }] },
    });
    expect(patched.status).toBe(200);
    const got = await api("GET", `/v1/offers/${offer.id}/price-table`, { key: tenant.key });
    expect(got.body.prices).toEqual([{ currency: "USD", amount: 500, floor: 500 }]);
    expect(got.body.country_prices).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    [
      "a currency twice",
      {
        prices: [
          { currency: "USD", amount: 1 },
          { currency: "USD", amount: 2 },
        ],
      },
      ["/prices/1/currency"],
    ],
    [
      "a floor above the amount",
      { prices: [{ currency: "USD", amount: 100, floor: 101 }] },
      ["/prices/0/floor"],
    ],
    [
      "an amount off the currency's charge step",
      {
        prices: [
          { currency: "USD", amount: 100 },
          { currency: "KWD", amount: 1005 },
        ],
      },
      ["/prices/1/amount"],
    ],
    [
      "no price in the default currency",
      { prices: [{ currency: "EUR", amount: 100 }], country_prices: [] },
      ["/prices"],
    ],
    [
      "an unknown country and a currency the offer lacks",
      { country_prices: [{ country: "QQ", currency: "GBP", amount: 100 }] },
      ["/country_prices/0/country", "/country_prices/0/currency"],
    ],
    ["an unknown field", { surprise: true }, ["/surprise"]],
    [
      "a percent with three decimals",
      { member_discounts: [{ tier_offer_id: "off_x", percent_off: 1.234 }] },
      ["/member_discounts/0/percent_off"],
    ],
  ])("refuses %s with 422 and writes nothing", async (_name, overrides, paths) => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const before = await tableCounts();
    const res = await api("PUT", `/v1/offers/${offer.id}/price-table`, {
      key: tenant.key,
      body: table(overrides),
    });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(paths);
    expect(await tableCounts()).toEqual(before);
  });

  it("accepts only this creator's membership tiers for member discounts", async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const foreignTier = await createOffer(other, membershipTier());
    const notATier = await createOffer(tenant, oneTimeOffer());
    const offer = await createOffer(tenant);
    const res = await api("PUT", `/v1/offers/${offer.id}/price-table`, {
      key: tenant.key,
      body: table({
        member_discounts: [
          { tier_offer_id: foreignTier.id, percent_off: 10 },
          { tier_offer_id: notATier.id, percent_off: 10 },
        ],
      }),
    });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([
      { in: "body", path: "/member_discounts/0/tier_offer_id", message: "No such offer" },
      { in: "body", path: "/member_discounts/1/tier_offer_id", message: "Must be a membership tier" },
    ]);
  });

  it("answers 404 for another creator's offer, and replays with the same Idempotency-Key", async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const offer = await createOffer(tenant);
    const foreign = await api("PUT", `/v1/offers/${offer.id}/price-table`, { key: other.key, body: table() });
    expect(foreign.status).toBe(404);
    expect((await api("GET", `/v1/offers/${offer.id}/price-table`, { key: other.key })).status).toBe(404);

    const headers = { "idempotency-key": "price-table-1" };
    const first = await api("PUT", `/v1/offers/${offer.id}/price-table`, {
      key: tenant.key,
      body: table(),
      headers,
    });
    const again = await api("PUT", `/v1/offers/${offer.id}/price-table`, {
      key: tenant.key,
      body: table(),
      headers,
    });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
  });
});

authorisationSuite("PUT /v1/offers/{id}/price-table", async (owner) => {
  const offer = await createOffer(owner);
  return (key) => api("PUT", `/v1/offers/${offer.id}/price-table`, { key, body: table() });
});
authorisationSuite("GET /v1/offers/{id}/price-table", async (owner) => {
  const offer = await createOffer(owner);
  return (key) => api("GET", `/v1/offers/${offer.id}/price-table`, { key });
});
