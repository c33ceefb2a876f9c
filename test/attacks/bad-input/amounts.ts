import { describe, expect, it } from "vitest";
import { api } from "../../support/api";
import { createOffer } from "../../support/fixtures";
import { pricedOffer, quote } from "../../support/quotes";
import { createTenant, tableCounts } from "../../support/tenants";

const outOfRange = "https://creator-commerce.dev/problems/amount-out-of-range";

describe("bad-input: amounts", () => {
  it("the documented maxima cannot be quoted into a total no provider can charge", async () => {
    const tenant = await createTenant();
    const components = [];
    for (let i = 0; i < 3; i++) {
      const part = await createOffer(tenant, {
        kind: "one_time",
        title: `Part ${i}`,
        prices: [{ currency: "USD", amount: 99_999_999 }],
      });
      components.push({ offer_id: part.id, quantity: 1 });
    }
    const bundle = await createOffer(tenant, {
      kind: "bundle",
      title: "Everything",
      prices: [{ currency: "USD", amount: 99_999_999 }],
      components,
    });
    const before = await tableCounts();
    for (const [offerId, quantity] of [
      [bundle.id, 100],
      [components[0]?.offer_id, 2],
    ] as const) {
      const res = await quote({ offer_id: offerId, quantity });
      expect(res.status, `${offerId} x ${quantity}`).toBe(422);
      expect(res.body.type).toBe(outOfRange);
      expect(res.body.detail).toContain("99999999");
    }
    expect(await tableCounts()).toEqual(before);
    // The largest chargeable total itself is fine.
    expect(await quote({ offer_id: components[0]?.offer_id })).toMatchObject({
      status: 201,
      body: { total: 99_999_999 },
    });
  });

  it("the maximum follows the currency: IDR, whose documented limit is larger, quotes past the common one", async () => {
    const tenant = await createTenant();
    const offer = await pricedOffer(
      tenant,
      { prices: [{ currency: "IDR", amount: 99_999_900 }] },
      {
        prices: [{ currency: "IDR", amount: 99_999_900 }],
        default_currency: "IDR",
      },
    );
    expect(await quote({ offer_id: offer.id, quantity: 5 })).toMatchObject({
      status: 201,
      body: { total: 499_999_500 },
    });
    expect((await quote({ offer_id: offer.id, quantity: 11 })).body.type).toBe(outOfRange);
  });

  it.each([
    ["USD", 49, 50],
    ["EUR", 49, 50],
    ["GBP", 29, 30],
    ["JPY", 49, 50],
    ["MXN", 999, 1000],
    ["HUF", 17_400, 17_500],
  ])(
    "a %s total below the provider's minimum is refused when quoted, not after its hold",
    async (currency, below, minimum) => {
      const tenant = await createTenant();
      const prices = [{ currency, amount: below }];
      const offer = await pricedOffer(tenant, { prices }, { prices, default_currency: currency });
      const res = await quote({ offer_id: offer.id });
      expect(res.status).toBe(422);
      expect(res.body.type).toBe(outOfRange);
      expect(res.body.detail).toContain(String(minimum));
      // Two of them reach the minimum... or pass it; either way the total is chargeable.
      const two = await quote({ offer_id: offer.id, quantity: Math.ceil(minimum / below) });
      expect(two.status).toBe(201);
    },
  );

  it("a total of exactly zero is quoted: a free offer, and a 100 % coupon", async () => {
    const tenant = await createTenant();
    const free = await pricedOffer(tenant, { prices: [{ currency: "USD", amount: 0 }] });
    expect(await quote({ offer_id: free.id })).toMatchObject({ status: 201, body: { total: 0 } });

    const poster = await pricedOffer(tenant, { prices: [{ currency: "USD", amount: 1000 }] });
    const coupon = await api("POST", "/v1/coupons", {
      key: tenant.key,
      body: { code: "ON-THE-HOUSE", percent_off: 100 },
    });
    expect(coupon.status).toBe(201);
    const res = await quote({ offer_id: poster.id, coupon: "ON-THE-HOUSE" });
    expect(res).toMatchObject({ status: 201, body: { total: 0, coupon: "ON-THE-HOUSE" } });
  });

  it("a coupon that leaves a few cents is refused: the provider could not charge them", async () => {
    const tenant = await createTenant();
    const poster = await pricedOffer(tenant, { prices: [{ currency: "USD", amount: 1000 }] });
    const coupon = await api("POST", "/v1/coupons", {
      key: tenant.key,
      body: { code: "ALMOST-FREE", amount_off: { currency: "USD", amount: 990 } },
    });
    expect(coupon.status).toBe(201);
    const res = await quote({ offer_id: poster.id, coupon: "ALMOST-FREE" });
    expect(res.status).toBe(422);
    expect(res.body.type).toBe(outOfRange);
  });
});
