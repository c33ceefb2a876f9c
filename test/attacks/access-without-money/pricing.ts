import { describe, expect, it } from "vitest";
import { appAt, grant, revoke } from "../../support/entitlements";
import { createOffer, membershipTier } from "../../support/fixtures";
import { insertMember, pricedOffer, quote } from "../../support/quotes";
import { createTenant, type Tenant } from "../../support/tenants";

/** A poster at 10.00 with 10 % off for the Merch tier (rank 2) and above. */
async function tieredShop(tenant: Tenant) {
  const fan = await createOffer(tenant, membershipTier({ title: "Fan", tier_rank: 1 }));
  const merch = await createOffer(tenant, membershipTier({ title: "Merch", tier_rank: 2 }));
  const poster = await pricedOffer(tenant, {
    prices: [{ currency: "USD", amount: 1000 }],
    member_discounts: [{ tier_offer_id: merch.id, percent_off: 10 }],
  });
  return { fan, merch, poster };
}

const totalFor = async (tenant: Tenant, offerId: string, memberId: string) => {
  const res = await quote({ offer_id: offerId, member_id: memberId }, {}, tenant.key);
  expect(res.status).toBe(201);
  return res.body.total;
};

describe("access-without-money: pricing", () => {
  it("a member whose tier was refunded or revoked keeps no member discount, whatever the member row still says", async () => {
    const tenant = await createTenant();
    const { merch, poster } = await tieredShop(tenant);
    // The member row names the tier, as a pop-up sale writes it; the entitlement is what was paid for.
    const memberId = await insertMember(tenant, merch.id);
    const granted = await grant(tenant, { member_id: memberId, offer_id: merch.id });
    expect(granted.status).toBe(201);
    expect(await totalFor(tenant, poster.id, memberId)).toBe(900);

    expect((await revoke(tenant, granted.body.id, "refund")).status).toBe(200);
    expect(await totalFor(tenant, poster.id, memberId)).toBe(1000);
  });

  it("a member whose tier has expired keeps no member discount", async () => {
    const tenant = await createTenant();
    const { merch, poster } = await tieredShop(tenant);
    const memberId = await insertMember(tenant, merch.id);
    const expiresAt = Date.now() + 60 * 60_000;
    const granted = await grant(tenant, {
      member_id: memberId,
      offer_id: merch.id,
      expires_at: new Date(expiresAt).toISOString(),
    });
    expect(granted.status).toBe(201);
    const body = { offer_id: poster.id, member_id: memberId };
    const before = await appAt(expiresAt - 1_000)("POST", "/v1/quotes", body, tenant.key);
    expect(before).toMatchObject({ status: 201, body: { total: 900 } });
    const after = await appAt(expiresAt)("POST", "/v1/quotes", body, tenant.key);
    expect(after).toMatchObject({ status: 201, body: { total: 1000 } });
  });

  it("a member holding only a lower tier cannot price as a higher one the member row names", async () => {
    const tenant = await createTenant();
    const { fan, merch, poster } = await tieredShop(tenant);
    const memberId = await insertMember(tenant, merch.id);
    expect((await grant(tenant, { member_id: memberId, offer_id: fan.id })).status).toBe(201);
    expect(await totalFor(tenant, poster.id, memberId)).toBe(1000);
    // And a tier granted on top of it, once active, is the one that prices.
    expect((await grant(tenant, { member_id: memberId, offer_id: merch.id })).status).toBe(201);
    expect(await totalFor(tenant, poster.id, memberId)).toBe(900);
  });
});
