import { describe, expect, it } from "vitest";
import { members } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { api } from "../support/api";
import { authorisationSuite } from "../support/auth-suite";
import { appAt, grant, revoke } from "../support/entitlements";
import { createOffer, membershipTier } from "../support/fixtures";
import { createTenant, db, type Tenant } from "../support/tenants";

/** Members arrive through checkout and POS reconcile (later issues); here they are written straight to D1. */
async function addMember(tenant: Tenant, email: string, extra: Partial<typeof members.$inferInsert> = {}) {
  const id = newId("member");
  const joinedAt = extra.joinedAt ?? Date.now();
  await db.insert(members).values({
    id,
    creatorId: tenant.creatorId,
    email,
    cohort: "seasonal",
    acquisitionSource: "link",
    joinedAt,
    updatedAt: joinedAt,
    ...extra,
  });
  return id;
}

describe("GET /v1/members", () => {
  it("lists members most recently joined first, with their tier", async () => {
    const tenant = await createTenant();
    const tier = await createOffer(tenant, membershipTier());
    const early = await addMember(tenant, "early@example.com", {
      joinedAt: Date.UTC(2026, 0, 1),
      cohort: "founding",
    });
    const late = await addMember(tenant, "late@example.com", { acquisitionSource: "pos:spring-market" });
    expect((await grant(tenant, { member_id: late, offer_id: tier.id })).status).toBe(201);
    const res = await api("GET", "/v1/members", { key: tenant.key });
    expect(res.status).toBe(200);
    expect(res.body.data.map((m: { id: string }) => m.id)).toEqual([late, early]);
    expect(res.body.data[0]).toMatchObject({
      object: "member",
      email: "late@example.com",
      tier_offer_id: tier.id,
      acquisition_source: "pos:spring-market",
      status: "active",
    });
    expect(res.body.data[1]).toMatchObject({ cohort: "founding", joined_at: "2026-01-01T00:00:00.000Z" });
  });

  it("filters by cohort and pages with a cursor", async () => {
    const tenant = await createTenant();
    for (let i = 0; i < 3; i++)
      await addMember(tenant, `f${i}@example.com`, { cohort: "founding", joinedAt: 1_000 + i });
    await addMember(tenant, "u@example.com", { cohort: "utility" });
    const first = await api("GET", "/v1/members?cohort=founding&limit=2", { key: tenant.key });
    expect(first.body).toMatchObject({ has_more: true });
    const second = await api("GET", `/v1/members?cohort=founding&limit=2&cursor=${first.body.next_cursor}`, {
      key: tenant.key,
    });
    expect(second.body).toMatchObject({ has_more: false, next_cursor: null });
    expect([...first.body.data, ...second.body.data].map((m: { email: string }) => m.email)).toEqual([
      "f2@example.com",
      "f1@example.com",
      "f0@example.com",
    ]);
  });

  it("keeps one member per email per creator", async () => {
    const tenant = await createTenant();
    await addMember(tenant, "fan@example.com");
    await expect(addMember(tenant, "fan@example.com")).rejects.toMatchObject({
      cause: expect.objectContaining({
        message: expect.stringMatching(/UNIQUE constraint failed: members.creator_id, members.email/),
      }),
    });
    await addMember(await createTenant("Other"), "fan@example.com");
  });

  it.each([
    ["an unknown cohort", "?cohort=vip", "/cohort"],
    ["a limit over the maximum", "?limit=1000", "/limit"],
    ["a garbled cursor", "?cursor=%%%", "/cursor"],
  ])("refuses %s with 422", async (_name, query, path) => {
    const tenant = await createTenant();
    const res = await api("GET", `/v1/members${query}`, { key: tenant.key });
    expect(res.status).toBe(422);
    expect(res.body.errors[0]).toMatchObject({ in: "query", path });
  });
});

describe("a member's tier as read", () => {
  it("is the highest tier they hold an active entitlement to, not what the member row says", async () => {
    const tenant = await createTenant();
    const fan = await createOffer(tenant, membershipTier({ title: "Fan", tier_rank: 1 }));
    const vip = await createOffer(tenant, membershipTier({ title: "VIP", tier_rank: 5 }));
    const id = await addMember(tenant, "fan@example.com", { tierOfferId: vip.id });
    const tierOf = async () =>
      (await api("GET", `/v1/members/${id}`, { key: tenant.key })).body.tier_offer_id;
    expect(await tierOf()).toBeNull();
    expect((await grant(tenant, { member_id: id, offer_id: fan.id })).status).toBe(201);
    expect(await tierOf()).toBe(fan.id);
    const top = await grant(tenant, { member_id: id, offer_id: vip.id });
    expect(await tierOf()).toBe(vip.id);
    expect((await revoke(tenant, top.body.id, "refund")).status).toBe(200);
    expect(await tierOf()).toBe(fan.id);
  });

  it("ends when the tier's entitlement expires", async () => {
    const tenant = await createTenant();
    const tier = await createOffer(tenant, membershipTier());
    const id = await addMember(tenant, "fan@example.com");
    const expiresAt = Date.now() + 60 * 60_000;
    const granted = await grant(tenant, {
      member_id: id,
      offer_id: tier.id,
      expires_at: new Date(expiresAt).toISOString(),
    });
    expect(granted.status).toBe(201);
    const read = async (now: number) =>
      (await appAt(now)("GET", `/v1/members/${id}`, undefined, tenant.key)).body.tier_offer_id;
    expect(await read(expiresAt - 1_000)).toBe(tier.id);
    expect(await read(expiresAt)).toBeNull();
    const list = await appAt(expiresAt)("GET", "/v1/members", undefined, tenant.key);
    expect(list.body.data[0]).toMatchObject({ id, tier_offer_id: null });
  });
});

describe("GET /v1/members/{id}", () => {
  it("returns one member, and 404 for an unknown id", async () => {
    const tenant = await createTenant();
    const id = await addMember(tenant, "fan@example.com");
    expect((await api("GET", `/v1/members/${id}`, { key: tenant.key })).body).toMatchObject({
      id,
      email: "fan@example.com",
    });
    expect((await api("GET", "/v1/members/mem_missing", { key: tenant.key })).status).toBe(404);
  });
});

authorisationSuite(
  "GET /v1/members",
  async (owner) => {
    await addMember(owner, "fan@example.com");
    return (key) => api("GET", "/v1/members", { key });
  },
  "empty_list",
);
authorisationSuite("GET /v1/members/{id}", async (owner) => {
  const id = await addMember(owner, "fan@example.com");
  return (key) => api("GET", `/v1/members/${id}`, { key });
});
