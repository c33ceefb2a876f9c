import { describe, expect, it } from "vitest";
import { api } from "../../support/api";
import { entitlement, member, metric, moves, on, order, subscription, tier } from "../../support/revenue";
import { createTenant, type Tenant } from "../../support/tenants";

const ROUTES = ["mrr", "subscriptions", "retention", "ltv", "enrolments"] as const;
const MARCH = "from=2026-03-01&to=2026-04-01";

/** One paying member who joined in March at `tenant`: MRR, an order, an entitlement. */
async function oneMember(tenant: Tenant) {
  const offer = await tier(tenant, { kind: "membership" });
  const memberId = await member(tenant, { joinedAt: on("03-02"), source: "pos:Fair" });
  const sub = await subscription(tenant, { memberId, offerId: offer, amount: 1000, anchor: on("03-02") });
  await moves(tenant, sub, [["new", 1000, on("03-02")]]);
  await order(tenant, { memberId, offerId: offer, amount: 1000, paidAt: on("03-02") });
  await entitlement(tenant, { memberId, grantedAt: on("03-02") });
}

describe("tenancy: subscription and member KPIs", () => {
  it("another creator's key sees none of the first creator's members, MRR or revenue", async () => {
    const owner = await createTenant();
    await oneMember(owner);
    const stranger = await createTenant();
    const [mrr, retention, ltv, enrolments] = await Promise.all(
      ["mrr", "retention", "ltv", "enrolments"].map((name) => metric(stranger, name, MARCH)),
    );
    expect(mrr?.body.summary).toMatchObject({
      opening_mrr: 0,
      closing_mrr: 0,
      new_mrr: 0,
      excluded_other_currency: 0,
    });
    expect(retention?.body.summary).toMatchObject({ members: 0, retention_7d: null });
    expect(ltv?.body.summary).toMatchObject({ members: 0, revenue_90d: 0, ltv_90d: null });
    expect(enrolments?.body.summary).toMatchObject({ enrolments: 0, pos: 0 });
    // The owner's own key does see them: the figures above are zero because of the key, not the data.
    expect((await metric(owner, "mrr", MARCH)).body.summary).toMatchObject({ closing_mrr: 1000 });
    expect((await metric(owner, "enrolments", MARCH)).body.summary).toMatchObject({ enrolments: 1, pos: 1 });
  });

  it.each(ROUTES)(
    "/v1/metrics/%s refuses a creator named in the query (422): the key decides the creator",
    async (name) => {
      const owner = await createTenant();
      const stranger = await createTenant();
      const res = await metric(stranger, name, `${MARCH}&creator_id=${owner.creatorId}`);
      expect(res.status).toBe(422);
    },
  );

  it.each(ROUTES)("/v1/metrics/%s answers 401 without a key or with a wrong one", async (name) => {
    expect((await api("GET", `/v1/metrics/${name}?${MARCH}`)).status).toBe(401);
    expect((await api("GET", `/v1/metrics/${name}?${MARCH}`, { key: "cc_sk_not-a-real-key" })).status).toBe(
      401,
    );
  });
});
