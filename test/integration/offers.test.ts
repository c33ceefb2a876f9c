import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { offers } from "../../src/db/schema";
import { CreateOfferBody } from "../../src/offers/schemas";
import { createOffer as createOfferVerb } from "../../src/offers/verbs";
import { api } from "../support/api";
import { authorisationSuite } from "../support/auth-suite";
import { createOffer, membershipTier, oneTimeOffer } from "../support/fixtures";
import { createTenant, db, racingContext, tableCounts } from "../support/tenants";

describe("POST /v1/offers", () => {
  it("creates a one-time offer priced per currency, defaulting to the creator's currency", async () => {
    const tenant = await createTenant("Yen creator", "JPY");
    const res = await api("POST", "/v1/offers", {
      key: tenant.key,
      body: oneTimeOffer({
        prices: [
          { currency: "USD", amount: 2000 },
          { currency: "JPY", amount: 3000 },
        ],
      }),
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      object: "offer",
      kind: "one_time",
      default_currency: "JPY",
      prices: [
        { currency: "JPY", amount: 3000 },
        { currency: "USD", amount: 2000 },
      ],
      billing_interval: null,
      tier_rank: null,
      components: [],
      status: "active",
    });
    expect(res.body.id).toMatch(/^off_/);
    const fetched = await api("GET", `/v1/offers/${res.body.id}`, { key: tenant.key });
    expect(fetched.body).toEqual(res.body);
  });

  it("creates and re-prices an offer with the most currencies allowed (over D1's parameter limit)", async () => {
    const tenant = await createTenant();
    const prices = (amount: number) =>
      ["USD", ...Intl.supportedValuesOf("currency").filter((c) => c !== "USD")]
        .slice(0, 50)
        .map((currency) => ({ currency, amount }));
    const created = await api("POST", "/v1/offers", {
      key: tenant.key,
      body: oneTimeOffer({ prices: prices(1000) }),
    });
    expect(created.status).toBe(201);
    expect(created.body.prices).toHaveLength(50);
    const patched = await api("PATCH", `/v1/offers/${created.body.id}`, {
      key: tenant.key,
      body: { prices: prices(2000) },
    });
    expect(patched.status).toBe(200);
    const fetched = await api("GET", `/v1/offers/${created.body.id}`, { key: tenant.key });
    expect(fetched.body.prices.map((p: { amount: number }) => p.amount)).toEqual(Array(50).fill(2000));
  });

  it("creates a membership tier with its billing interval and rank", async () => {
    const tenant = await createTenant();
    const res = await api("POST", "/v1/offers", {
      key: tenant.key,
      body: membershipTier({ title: "Merch", tier_rank: 2 }),
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kind: "membership", billing_interval: "month", tier_rank: 2 });
  });

  it("creates a bundle of the creator's one-time offers", async () => {
    const tenant = await createTenant();
    const poster = await createOffer(tenant);
    const tee = await createOffer(tenant, oneTimeOffer({ title: "Tee" }));
    const res = await api("POST", "/v1/offers", {
      key: tenant.key,
      body: oneTimeOffer({
        kind: "bundle",
        title: "Poster and tee",
        components: [{ offer_id: poster.id }, { offer_id: tee.id, quantity: 2 }],
      }),
    });
    expect(res.status).toBe(201);
    expect(res.body.components).toEqual(
      expect.arrayContaining([
        { offer_id: poster.id, quantity: 1 },
        { offer_id: tee.id, quantity: 2 },
      ]),
    );
  });

  it("writes an audit row in the same batch as the offer", async () => {
    const tenant = await createTenant();
    const before = await tableCounts();
    await createOffer(tenant);
    const after = await tableCounts();
    expect(after.offers).toBe((before.offers ?? 0) + 1);
    expect(after.offer_prices).toBe((before.offer_prices ?? 0) + 1);
    expect(after.audit_events).toBe((before.audit_events ?? 0) + 1);
  });

  it("refuses a second tier with the same rank with 409", async () => {
    const tenant = await createTenant();
    await createOffer(tenant, membershipTier());
    const before = await tableCounts();
    const res = await api("POST", "/v1/offers", {
      key: tenant.key,
      body: membershipTier({ title: "Other" }),
    });
    expect(res.status).toBe(409);
    expect(res.body.type).toMatch(/conflict$/);
    expect(await tableCounts()).toEqual(before);
  });

  it("gives a contested tier rank to exactly one of many concurrent creates; the rest get 409", async () => {
    const tenant = await createTenant();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        api("POST", "/v1/offers", {
          key: tenant.key,
          body: membershipTier({ title: `Tier ${i}`, tier_rank: 7 }),
        }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, ...Array(9).fill(409)]);
    expect((await api("GET", "/v1/offers?kind=membership", { key: tenant.key })).body.data).toHaveLength(1);
  });

  it("answers 409, not 500, when a concurrent create takes the rank between the check and the write", async () => {
    const tenant = await createTenant();
    const now = Date.now();
    const rival = {
      id: "off_rival",
      creatorId: tenant.creatorId,
      kind: "membership" as const,
      title: "Rival",
      defaultCurrency: "USD",
      billingInterval: "month" as const,
      tierRank: 3,
      createdAt: now,
      updatedAt: now,
    };
    // The rival lands after our checks passed and before our batch: the race the unique index exists for.
    const ctx = racingContext(tenant, () => db.insert(offers).values(rival));
    const input = CreateOfferBody.parse(membershipTier({ tier_rank: 3 }));
    await expect(createOfferVerb({ ctx, input })).rejects.toMatchObject({ code: "conflict" });
    const tiers = await db.select().from(offers).where(eq(offers.creatorId, tenant.creatorId));
    expect(tiers.map((t) => t.id)).toEqual(["off_rival"]);
  });

  it("treats another creator's offer as unknown when used as a bundle component", async () => {
    const tenant = await createTenant();
    const strangersOffer = await createOffer(await createTenant("Stranger"));
    const res = await api("POST", "/v1/offers", {
      key: tenant.key,
      body: oneTimeOffer({ kind: "bundle", components: [{ offer_id: strangersOffer.id }] }),
    });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([
      { in: "body", path: "/components/0/offer_id", message: "No such offer" },
    ]);
  });

  const tooBig = JSON.stringify(oneTimeOffer({ description: "x".repeat(70 * 1024) }));
  const badCreates: [
    string,
    { raw?: string; body?: unknown; headers?: Record<string, string> },
    number,
    string,
    string?,
  ][] = [
    [
      "malformed JSON",
      { raw: '{"kind": "one_time",', headers: { "content-type": "application/json" } },
      400,
      "malformed-request",
    ],
    [
      "a non-JSON content type",
      { raw: "kind=one_time", headers: { "content-type": "text/plain" } },
      415,
      "unsupported-media-type",
    ],
    [
      "a body over 64 KiB",
      { raw: tooBig, headers: { "content-type": "application/json" } },
      413,
      "payload-too-large",
    ],
    ["an empty object", { body: {} }, 422, "validation-failed", "/kind"],
    ["an unknown field", { body: oneTimeOffer({ colour: "red" }) }, 422, "validation-failed", "/colour"],
    [
      "an unknown field in a price",
      { body: oneTimeOffer({ prices: [{ currency: "USD", amount: 1, tax: 0 }] }) },
      422,
      "validation-failed",
      "/prices/0/tax",
    ],
    ["an unknown kind", { body: oneTimeOffer({ kind: "raffle" }) }, 422, "validation-failed", "/kind"],
    [
      "a negative amount",
      { body: oneTimeOffer({ prices: [{ currency: "USD", amount: -1 }] }) },
      422,
      "validation-failed",
      "/prices/0/amount",
    ],
    [
      "a fractional amount",
      { body: oneTimeOffer({ prices: [{ currency: "USD", amount: 19.99 }] }) },
      422,
      "validation-failed",
      "/prices/0/amount",
    ],
    [
      "an amount given as a string",
      { body: oneTimeOffer({ prices: [{ currency: "USD", amount: "2000" }] }) },
      422,
      "validation-failed",
      "/prices/0/amount",
    ],
    [
      "a lower-case currency",
      { body: oneTimeOffer({ prices: [{ currency: "usd", amount: 1 }] }) },
      422,
      "validation-failed",
      "/prices/0/currency",
    ],
    [
      "a currency that is not ISO 4217",
      { body: oneTimeOffer({ prices: [{ currency: "QQQ", amount: 1 }] }) },
      422,
      "validation-failed",
      "/prices/0/currency",
    ],
    ["no prices", { body: oneTimeOffer({ prices: [] }) }, 422, "validation-failed", "/prices"],
    [
      "two prices in one currency",
      {
        body: oneTimeOffer({
          prices: [
            { currency: "USD", amount: 1 },
            { currency: "USD", amount: 2 },
          ],
        }),
      },
      422,
      "validation-failed",
      "/prices/1/currency",
    ],
    [
      "a default currency without a price",
      { body: oneTimeOffer({ default_currency: "EUR" }) },
      422,
      "validation-failed",
      "/default_currency",
    ],
    ["an empty title", { body: oneTimeOffer({ title: "  " }) }, 422, "validation-failed", "/title"],
    [
      "a membership without an interval",
      { body: membershipTier({ billing_interval: undefined }) },
      422,
      "validation-failed",
      "/billing_interval",
    ],
    [
      "a membership without a rank",
      { body: membershipTier({ tier_rank: undefined }) },
      422,
      "validation-failed",
      "/tier_rank",
    ],
    [
      "a one-time offer with a billing interval",
      { body: oneTimeOffer({ billing_interval: "month" }) },
      422,
      "validation-failed",
      "/billing_interval",
    ],
    [
      "a bundle without components",
      { body: oneTimeOffer({ kind: "bundle" }) },
      422,
      "validation-failed",
      "/components",
    ],
    [
      "a one-time offer with components",
      { body: oneTimeOffer({ components: [{ offer_id: "off_x" }] }) },
      422,
      "validation-failed",
      "/components",
    ],
    [
      "a bundle of an unknown offer",
      { body: oneTimeOffer({ kind: "bundle", components: [{ offer_id: "off_missing" }] }) },
      422,
      "validation-failed",
      "/components/0/offer_id",
    ],
    [
      "an Idempotency-Key that is too long",
      { body: oneTimeOffer(), headers: { "idempotency-key": "k".repeat(256) } },
      400,
      "idempotency-key-invalid",
    ],
  ];

  it.each(badCreates)("refuses %s, writing nothing", async (_name, request, status, type, path) => {
    const tenant = await createTenant();
    const before = await tableCounts();
    const res = await api("POST", "/v1/offers", { key: tenant.key, ...request });
    expect(res.status).toBe(status);
    expect(res.body.type).toBe(`https://creator-commerce.dev/problems/${type}`);
    if (path) expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(await tableCounts()).toEqual(before);
  });

  it("refuses a bundle that contains a membership tier", async () => {
    const tenant = await createTenant();
    const tier = await createOffer(tenant, membershipTier());
    const res = await api("POST", "/v1/offers", {
      key: tenant.key,
      body: oneTimeOffer({ kind: "bundle", components: [{ offer_id: tier.id }] }),
    });
    expect(res.status).toBe(422);
    expect(res.body.errors[0]).toMatchObject({ path: "/components/0/offer_id" });
  });
});

describe("GET /v1/offers", () => {
  it("pages newest first with a cursor, never repeating or skipping a row", async () => {
    const tenant = await createTenant();
    const created = [];
    for (let i = 0; i < 5; i++)
      created.push((await createOffer(tenant, oneTimeOffer({ title: `Item ${i}` }))).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : "?limit=2";
      const res = await api("GET", `/v1/offers${query}`, { key: tenant.key });
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((o: { id: string }) => o.id));
      cursor = res.body.next_cursor;
      expect(res.body.has_more).toBe(cursor !== null);
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen)).toEqual(new Set(created));
    expect(seen).toHaveLength(5);
  });

  it("filters by kind", async () => {
    const tenant = await createTenant();
    await createOffer(tenant);
    const tier = await createOffer(tenant, membershipTier());
    const res = await api("GET", "/v1/offers?kind=membership", { key: tenant.key });
    expect(res.body.data.map((o: { id: string }) => o.id)).toEqual([tier.id]);
  });

  it.each([
    ["a limit over the maximum", "?limit=101", "/limit"],
    ["a limit of zero", "?limit=0", "/limit"],
    ["a limit that is not a number", "?limit=ten", "/limit"],
    ["a cursor this API did not issue", "?cursor=bm90LWEtY3Vyc29y", "/cursor"],
    ["an unknown kind", "?kind=raffle", "/kind"],
  ])("refuses %s with 422", async (_name, query, path) => {
    const tenant = await createTenant();
    const res = await api("GET", `/v1/offers${query}`, { key: tenant.key });
    expect(res.status).toBe(422);
    expect(res.body.errors[0]).toMatchObject({ in: "query", path });
  });
});

describe("PATCH /v1/offers/{id}", () => {
  it("updates the title, replaces the price table and archives", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const res = await api("PATCH", `/v1/offers/${offer.id}`, {
      key: tenant.key,
      body: {
        title: "Signed poster (last run)",
        prices: [{ currency: "EUR", amount: 1800 }],
        default_currency: "EUR",
        status: "archived",
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      title: "Signed poster (last run)",
      prices: [{ currency: "EUR", amount: 1800 }],
      default_currency: "EUR",
      status: "archived",
    });
    expect((await api("GET", `/v1/offers/${offer.id}`, { key: tenant.key })).body).toEqual(res.body);
  });

  it("changes a tier's interval without touching its prices", async () => {
    const tenant = await createTenant();
    const tier = await createOffer(tenant, membershipTier());
    const res = await api("PATCH", `/v1/offers/${tier.id}`, {
      key: tenant.key,
      body: { billing_interval: "year" },
    });
    expect(res.body).toMatchObject({ billing_interval: "year", prices: tier.prices });
  });

  it.each([
    ["an attempt to change the kind", { kind: "bundle" }, "/kind"],
    ["an empty price table", { prices: [] }, "/prices"],
    ["a default currency the prices lack", { default_currency: "GBP" }, "/default_currency"],
    ["components on a one-time offer", { components: [{ offer_id: "off_x" }] }, "/components"],
    ["an unknown status", { status: "deleted" }, "/status"],
    ["a null title", { title: null }, "/title"],
  ])("refuses %s with 422, changing nothing", async (_name, body, path) => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const before = await tableCounts();
    const res = await api("PATCH", `/v1/offers/${offer.id}`, { key: tenant.key, body });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(await tableCounts()).toEqual(before);
    expect((await api("GET", `/v1/offers/${offer.id}`, { key: tenant.key })).body).toEqual(offer);
  });

  it("answers 404 for an unknown id", async () => {
    const tenant = await createTenant();
    const res = await api("PATCH", "/v1/offers/off_missing", { key: tenant.key, body: { title: "x" } });
    expect(res.status).toBe(404);
    expect(res.body.type).toMatch(/not-found$/);
  });
});

describe("GET /v1/offers/{id}", () => {
  it("answers 404 for an unknown id", async () => {
    const tenant = await createTenant();
    expect((await api("GET", "/v1/offers/off_missing", { key: tenant.key })).status).toBe(404);
  });
});

authorisationSuite(
  "POST /v1/offers",
  async () => (key) => api("POST", "/v1/offers", { key, body: oneTimeOffer() }),
  "created_separately",
);
authorisationSuite(
  "GET /v1/offers",
  async (owner) => {
    await createOffer(owner);
    return (key) => api("GET", "/v1/offers", { key });
  },
  "empty_list",
);
authorisationSuite("GET /v1/offers/{id}", async (owner) => {
  const offer = await createOffer(owner);
  return (key) => api("GET", `/v1/offers/${offer.id}`, { key });
});
authorisationSuite("PATCH /v1/offers/{id}", async (owner) => {
  const offer = await createOffer(owner);
  return (key) => api("PATCH", `/v1/offers/${offer.id}`, { key, body: { title: "Mine now" } });
});
