import { exports } from "cloudflare:workers";
import { and, eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { apiKeys, auditEvents, creators } from "../../src/db/schema";
import { demo, seedDemo } from "../../src/db/seed";
import { demoFulfilment } from "../../src/db/seed-fulfilment";
import { demoSurfaces } from "../../src/db/seed-surfaces";
import { generateApiKey } from "../../src/lib/api-keys";
import { generateOverlayToken } from "../../src/overlay/token";
import { api } from "../support/api";
import { db, tableCounts } from "../support/tenants";

const seedWith = async (key: string, publishable = generateApiKey("publishable")) =>
  seedDemo(db, { secret: key, publishable }, Date.now());

describe("the demo seed", () => {
  it("seeds a member whose session token lists the Merch tier and backstage, as the README walks through", async () => {
    const key = generateApiKey();
    await seedWith(key);
    const session = await api("POST", `/v1/members/${demo.memberId}/sessions`, { key, body: {} });
    expect(session.status).toBe(201);
    expect(session.body.entitlements).toEqual(["backstage", "off_demo_merch"]);
    const verified = await api("POST", "/v1/entitlements/verify", {
      body: { token: session.body.token, audience: demo.creatorId },
    });
    expect(verified.body).toMatchObject({ active: true, member_id: demo.memberId });
  });

  it("seeds a creator whose key lists the live drops (signed and printed) and the membership ladder", async () => {
    const key = generateApiKey();
    await seedWith(key);
    const dropsRes = await api("GET", "/v1/drops", { key });
    expect(dropsRes.body.data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: demo.dropId, stock: 100, phase: "live", state: "open" }),
        expect.objectContaining({ id: demoFulfilment.dropId, stock: 50, phase: "live", state: "open" }),
      ]),
    );
    expect(dropsRes.body.data).toHaveLength(2);
    const tiers = await api("GET", "/v1/offers?kind=membership", { key });
    expect(
      tiers.body.data
        .map(
          (o: {
            title: string;
            prices: { amount: number }[];
            billing_interval: string;
            tier_rank: number;
          }) => [o.title, o.prices[0]?.amount, o.billing_interval, o.tier_rank],
        )
        .sort((a: [string, number, string, number], b: [string, number, string, number]) => a[3] - b[3]),
    ).toEqual([
      ["Fan", 300, "week", 1],
      ["Merch", 900, "month", 2],
      ["Events", 2500, "month", 3],
    ]);
  });

  it("prices the poster for quotes: country price, member discount and the LAUNCH10 coupon", async () => {
    const key = generateApiKey();
    await seedWith(key);
    const table = await api("GET", `/v1/offers/${demo.dropOfferId}/price-table`, { key });
    expect(table.body).toMatchObject({
      prices: [
        { currency: "EUR", amount: 1900, floor: 1400 },
        { currency: "USD", amount: 2000, floor: 1500 },
      ],
      country_prices: [{ country: "BR", currency: "USD", amount: 1600 }],
      member_discounts: [{ tier_offer_id: "off_demo_merch", percent_off: 10 }],
    });
    const quote = await api("POST", "/v1/quotes", {
      body: { offer_id: demo.dropOfferId, drop_id: demo.dropId, coupon: "launch10" },
      headers: { "buyer-id": "seed-demo-buyer", "buyer-country": "BR" },
    });
    expect(quote.status).toBe(201);
    expect(quote.body).toMatchObject({ currency: "USD", total: 1500, coupon: "LAUNCH10" });
    expect(quote.body.lines.map((l: { type: string }) => l.type)).toEqual([
      "base",
      "localization",
      "coupon",
      "floor",
    ]);
  });

  it("changes nothing when run twice", async () => {
    const key = generateApiKey();
    const publishable = generateApiKey("publishable");
    await seedWith(key, publishable);
    const once = await tableCounts();
    await seedWith(key, publishable);
    expect(await tableCounts()).toEqual(once);
  });

  it("seeds the creator and both keys as the operator's create writes them: kinds, scopes and audit rows", async () => {
    const [key, publishable] = [generateApiKey(), generateApiKey("publishable")];
    await seedWith(key, publishable);
    const rows = await db
      .select({ id: apiKeys.id, kind: apiKeys.kind, scopes: apiKeys.scopes })
      .from(apiKeys)
      .where(eq(apiKeys.creatorId, demo.creatorId))
      .orderBy(apiKeys.id);
    expect(rows).toEqual([
      { id: demo.apiKeyId, kind: "secret", scopes: '["*"]' },
      { id: demo.publishableKeyId, kind: "publishable", scopes: "[]" },
    ]);
    const audited = await db
      .select({ subjectId: auditEvents.subjectId, action: auditEvents.action })
      .from(auditEvents)
      .where(
        and(
          eq(auditEvents.creatorId, demo.creatorId),
          inArray(auditEvents.subjectType, ["creator", "api_key"]),
        ),
      );
    expect(audited).toEqual(
      expect.arrayContaining([
        { subjectId: demo.creatorId, action: "creator.created" },
        { subjectId: demo.apiKeyId, action: "api_key.created" },
        { subjectId: demo.publishableKeyId, action: "api_key.created" },
      ]),
    );
  });

  it("seeds a publishable key that quotes the demo offer but is refused on admin routes", async () => {
    const [key, publishable] = [generateApiKey(), generateApiKey("publishable")];
    await seedWith(key, publishable);
    const quote = await api("POST", "/v1/quotes", {
      key: publishable,
      body: { offer_id: demo.dropOfferId, drop_id: demo.dropId },
      headers: { "buyer-id": "seed-demo-buyer" },
    });
    expect(quote.status, JSON.stringify(quote.body)).toBe(201);
    const admin = await api("GET", "/v1/drops", { key: publishable });
    expect(admin.status).toBe(403);
    expect(admin.body.type).toMatch(/insufficient-scope$/);
  });

  it("switches to a new DEMO_API_KEY and retires the old one", async () => {
    const oldKey = generateApiKey();
    const newKey = generateApiKey();
    await seedWith(oldKey);
    await seedWith(newKey);
    expect((await api("GET", "/v1/drops", { key: newKey })).status).toBe(200);
    expect((await api("GET", "/v1/drops", { key: oldKey })).status).toBe(401);
  });

  it("reseeding a suspended demo creator leaves it suspended: the seed never reinstates", async () => {
    const key = generateApiKey();
    await seedWith(key);
    await db
      .update(creators)
      .set({ status: "suspended", suspendedAt: Date.now() })
      .where(eq(creators.id, demo.creatorId));
    await seedWith(key);
    const res = await api("GET", "/v1/drops", { key });
    expect(res.status).toBe(403);
    expect(res.body.type).toMatch(/creator-suspended$/);
    await db
      .update(creators)
      .set({ status: "active", suspendedAt: null })
      .where(eq(creators.id, demo.creatorId));
  });

  it("seeds the buyer surfaces npm start prints: the drop's link page, the Fan tier's, and a working overlay", async () => {
    const key = generateApiKey();
    const overlayToken = generateOverlayToken();
    await seedDemo(db, { secret: key }, Date.now(), {
      overlayToken,
    });
    for (const id of [demoSurfaces.dropLinkId, demoSurfaces.fanLinkId, demoSurfaces.overlayLinkId]) {
      const page = await exports.default.fetch(`http://api.test/l/${id}`);
      expect(page.status, id).toBe(200);
      await page.body?.cancel();
    }
    const overlay = await exports.default.fetch(
      `http://api.test/overlay/${demo.dropId}?token=${overlayToken}`,
    );
    expect(overlay.status).toBe(200);
    expect(await overlay.text()).toContain("<svg");
    const origins = await api("GET", "/v1/allowed-origins", { key });
    expect(origins.body.origins).toEqual([...demoSurfaces.origins].sort());
  });

  it("replaces the overlay token when a new one is seeded: the old URL stops working", async () => {
    const key = generateApiKey();
    const [first, second] = [generateOverlayToken(), generateOverlayToken()];
    await seedDemo(db, { secret: key }, Date.now(), {
      overlayToken: first,
    });
    await seedDemo(db, { secret: key }, Date.now(), {
      overlayToken: second,
    });
    const overlayOf = async (token: string) => {
      const res = await exports.default.fetch(`http://api.test/overlay/${demo.dropId}?token=${token}`);
      await res.body?.cancel();
      return res.status;
    };
    expect([await overlayOf(first), await overlayOf(second)]).toEqual([404, 200]);
  });
});
