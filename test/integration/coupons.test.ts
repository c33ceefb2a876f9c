import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { TenantContext } from "../../src/context";
import { UpdateCouponBody } from "../../src/coupons/schemas";
import { couponForQuote, redeemCoupon, redemptionWrites, updateCoupon } from "../../src/coupons/verbs";
import { runBatch } from "../../src/db/client";
import { couponRedemptions, coupons } from "../../src/db/schema";
import { AppError } from "../../src/errors";
import { commitWith } from "../../src/http/context";
import { inventoryGateway } from "../../src/inventory/gateway";
import { api, type Json } from "../support/api";
import { authorisationSuite } from "../support/auth-suite";
import { createOffer } from "../support/fixtures";
import { createTenant, db, racingContext, type Tenant, tableCounts } from "../support/tenants";

const percentCoupon = (overrides: Record<string, unknown> = {}) => ({
  code: `save${crypto.randomUUID().slice(0, 8)}`,
  percent_off: 10,
  ...overrides,
});

async function createCoupon(tenant: Tenant, body: Record<string, unknown> = percentCoupon()): Promise<Json> {
  const res = await api("POST", "/v1/coupons", { key: tenant.key, body });
  if (res.status !== 201) throw new Error(`coupon fixture refused: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** The context a domain verb gets from a request, for the verbs no route exposes yet. */
const contextFor = (tenant: Tenant, now = Date.now()): TenantContext => ({
  db,
  inventory: inventoryGateway(env.DROP_INVENTORY, db),
  creatorId: tenant.creatorId,
  actor: "test",
  now,
  commit: commitWith(db, undefined),
});

const redeem = (tenant: Tenant, couponId: string, orderId: string, buyerKey = "anon:b1") =>
  redeemCoupon({ ctx: contextFor(tenant), input: { couponId, orderId, buyerKey } });

const codeOf = (error: unknown) => (error instanceof AppError ? error.code : String(error));

describe("POST /v1/coupons", () => {
  it("creates a percent coupon, storing the code upper case", async () => {
    const tenant = await createTenant();
    const res = await api("POST", "/v1/coupons", {
      key: tenant.key,
      body: { code: "summer-10_x", percent_off: 12.5 },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      object: "coupon",
      code: "SUMMER-10_X",
      percent_off: 12.5,
      amount_off: null,
      offer_ids: null,
      expires_at: null,
      max_redemptions: null,
      max_per_buyer: null,
      redeemed_count: 0,
      status: "active",
    });
    expect(res.body.id).toMatch(/^cpn_/);
    expect((await api("GET", `/v1/coupons/${res.body.id}`, { key: tenant.key })).body).toEqual(res.body);
  });

  it("creates an amount coupon for some offers, with caps and an expiry, and an audit row", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const before = await tableCounts();
    const res = await api("POST", "/v1/coupons", {
      key: tenant.key,
      body: {
        code: "FIVE",
        amount_off: { currency: "USD", amount: 500 },
        offer_ids: [offer.id],
        expires_at: "2099-01-01T01:00:00+01:00",
        max_redemptions: 100,
        max_per_buyer: 1,
      },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      percent_off: null,
      amount_off: { currency: "USD", amount: 500 },
      offer_ids: [offer.id],
      expires_at: "2099-01-01T00:00:00.000Z",
      max_redemptions: 100,
      max_per_buyer: 1,
    });
    const after = await tableCounts();
    expect(after.coupons).toBe((before.coupons ?? 0) + 1);
    expect(after.audit_events).toBe((before.audit_events ?? 0) + 1);
  });

  it("refuses a code the creator already uses, in any case, with 409", async () => {
    const tenant = await createTenant();
    await createCoupon(tenant, percentCoupon({ code: "Launch" }));
    const before = await tableCounts();
    const res = await api("POST", "/v1/coupons", {
      key: tenant.key,
      body: percentCoupon({ code: "lAUNCH" }),
    });
    expect(res.status).toBe(409);
    expect(res.body.type).toMatch(/conflict$/);
    expect(await tableCounts()).toEqual(before);
    // Codes are per creator: another creator may use the same one.
    await createCoupon(await createTenant("Other"), percentCoupon({ code: "LAUNCH" }));
  });

  it("gives a contested code to exactly one of many concurrent creates; the rest get 409", async () => {
    const tenant = await createTenant();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        api("POST", "/v1/coupons", {
          key: tenant.key,
          body: { code: i % 2 ? "race" : "RACE", percent_off: 5 },
        }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
  });

  it("replays the first response for a repeated Idempotency-Key, creating one coupon", async () => {
    const tenant = await createTenant();
    const request = { key: tenant.key, body: percentCoupon(), headers: { "idempotency-key": "cpn-1" } };
    const first = await api("POST", "/v1/coupons", request);
    const before = await tableCounts();
    const second = await api("POST", "/v1/coupons", request);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(await tableCounts()).toEqual(before);
  });

  const usd = (amount: number) => ({ currency: "USD", amount });
  it.each<[string, Record<string, unknown>, string]>([
    [
      "both percent_off and amount_off",
      { code: "BOTH", percent_off: 5, amount_off: usd(100) },
      "/amount_off",
    ],
    ["neither percent_off nor amount_off", { code: "NONE" }, "/percent_off"],
    [
      "an amount that is not a multiple of the charge step (KWD 5)",
      { code: "KWD5", amount_off: { currency: "KWD", amount: 5 } },
      "/amount_off/amount",
    ],
    ["a zero amount", { code: "ZERO", amount_off: usd(0) }, "/amount_off/amount"],
    [
      "a lower-case currency",
      { code: "LOW", amount_off: { currency: "usd", amount: 1 } },
      "/amount_off/currency",
    ],
    ["an unknown field", percentCoupon({ stackable: true }), "/stackable"],
    ["an unknown field in amount_off", { code: "X-1", amount_off: { ...usd(1), tax: 0 } }, "/amount_off/tax"],
    ["a zero percent", percentCoupon({ percent_off: 0 }), "/percent_off"],
    ["a percent over 100", percentCoupon({ percent_off: 100.01 }), "/percent_off"],
    ["a percent with 3 decimals", percentCoupon({ percent_off: 12.345 }), "/percent_off"],
    ["a code of 2 characters", percentCoupon({ code: "AB" }), "/code"],
    ["a code with a space", percentCoupon({ code: "SUMMER 10" }), "/code"],
    ["a code of 41 characters", percentCoupon({ code: "A".repeat(41) }), "/code"],
    ["an expiry in the past", percentCoupon({ expires_at: "2020-01-01T00:00:00Z" }), "/expires_at"],
    ["an expiry that is not a date-time", percentCoupon({ expires_at: "tomorrow" }), "/expires_at"],
    ["an empty offer list", percentCoupon({ offer_ids: [] }), "/offer_ids"],
    ["an unknown offer id", percentCoupon({ offer_ids: ["off_missing"] }), "/offer_ids/0"],
    ["a max_redemptions of 0", percentCoupon({ max_redemptions: 0 }), "/max_redemptions"],
    ["a fractional max_per_buyer", percentCoupon({ max_per_buyer: 1.5 }), "/max_per_buyer"],
  ])("refuses %s with 422, writing nothing", async (_name, body, path) => {
    const tenant = await createTenant();
    const before = await tableCounts();
    const res = await api("POST", "/v1/coupons", { key: tenant.key, body });
    expect(res.status).toBe(422);
    expect(res.body.type).toBe("https://creator-commerce.dev/problems/validation-failed");
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(await tableCounts()).toEqual(before);
  });

  it("treats another creator's offer as unknown in offer_ids, and a repeated id as an error", async () => {
    const tenant = await createTenant();
    const mine = await createOffer(tenant);
    const strangers = await createOffer(await createTenant("Stranger"));
    const before = await tableCounts();
    const res = await api("POST", "/v1/coupons", {
      key: tenant.key,
      body: percentCoupon({ offer_ids: [mine.id, strangers.id] }),
    });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ in: "body", path: "/offer_ids/1", message: "No such offer" }]);
    const twice = await api("POST", "/v1/coupons", {
      key: tenant.key,
      body: percentCoupon({ offer_ids: [mine.id, mine.id] }),
    });
    expect(twice.body.errors).toEqual([{ in: "body", path: "/offer_ids/1", message: "Listed twice" }]);
    expect(await tableCounts()).toEqual(before);
  });
});

describe("GET /v1/coupons", () => {
  it("pages newest first with a cursor, and filters by status", async () => {
    const tenant = await createTenant();
    const created: string[] = [];
    for (let i = 0; i < 3; i++) created.push((await createCoupon(tenant)).id);
    const first = await api("GET", "/v1/coupons?limit=2", { key: tenant.key });
    expect(first.body).toMatchObject({ object: "list", has_more: true });
    const second = await api("GET", `/v1/coupons?limit=2&cursor=${first.body.next_cursor}`, {
      key: tenant.key,
    });
    expect(second.body).toMatchObject({ has_more: false, next_cursor: null });
    const seen = [...first.body.data, ...second.body.data].map((c: { id: string }) => c.id);
    expect(seen).toHaveLength(3);
    expect(new Set(seen)).toEqual(new Set(created));

    await api("PATCH", `/v1/coupons/${created[0]}`, { key: tenant.key, body: { status: "archived" } });
    const archived = await api("GET", "/v1/coupons?status=archived", { key: tenant.key });
    expect(archived.body.data.map((c: { id: string }) => c.id)).toEqual([created[0]]);
  });

  it("refuses an unknown status filter with 422", async () => {
    const tenant = await createTenant();
    const res = await api("GET", "/v1/coupons?status=deleted", { key: tenant.key });
    expect(res.status).toBe(422);
    expect(res.body.errors[0]).toMatchObject({ in: "query", path: "/status" });
  });
});

describe("GET /v1/coupons/{id}", () => {
  it("answers 404 for an unknown id", async () => {
    const tenant = await createTenant();
    expect((await api("GET", "/v1/coupons/cpn_missing", { key: tenant.key })).status).toBe(404);
  });
});

describe("PATCH /v1/coupons/{id}", () => {
  it("archives, sets and clears the expiry and the cap", async () => {
    const tenant = await createTenant();
    const coupon = await createCoupon(tenant);
    const res = await api("PATCH", `/v1/coupons/${coupon.id}`, {
      key: tenant.key,
      body: { status: "archived", expires_at: "2099-06-01T00:00:00Z", max_redemptions: 10 },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: "archived",
      expires_at: "2099-06-01T00:00:00.000Z",
      max_redemptions: 10,
      code: coupon.code,
    });
    const cleared = await api("PATCH", `/v1/coupons/${coupon.id}`, {
      key: tenant.key,
      body: { status: "active", expires_at: null, max_redemptions: null },
    });
    expect(cleared.body).toMatchObject({ status: "active", expires_at: null, max_redemptions: null });
    expect((await api("GET", `/v1/coupons/${coupon.id}`, { key: tenant.key })).body).toEqual(cleared.body);
  });

  it.each([
    ["a change of code", { code: "NEW" }, "/code"],
    ["an expiry in the past", { expires_at: "2001-01-01T00:00:00Z" }, "/expires_at"],
    ["an unknown status", { status: "deleted" }, "/status"],
    ["a max_redemptions of 0", { max_redemptions: 0 }, "/max_redemptions"],
  ])("refuses %s with 422, changing nothing", async (_name, body, path) => {
    const tenant = await createTenant();
    const coupon = await createCoupon(tenant);
    const before = await tableCounts();
    const res = await api("PATCH", `/v1/coupons/${coupon.id}`, { key: tenant.key, body });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(await tableCounts()).toEqual(before);
    expect((await api("GET", `/v1/coupons/${coupon.id}`, { key: tenant.key })).body).toEqual(coupon);
  });

  it("refuses a cap below redeemed_count with 409", async () => {
    const tenant = await createTenant();
    const coupon = await createCoupon(tenant);
    await redeem(tenant, coupon.id, "ord_1");
    await redeem(tenant, coupon.id, "ord_2");
    const before = await tableCounts();
    const res = await api("PATCH", `/v1/coupons/${coupon.id}`, {
      key: tenant.key,
      body: { max_redemptions: 1 },
    });
    expect(res.status).toBe(409);
    expect(await tableCounts()).toEqual(before);
    const atCount = await api("PATCH", `/v1/coupons/${coupon.id}`, {
      key: tenant.key,
      body: { max_redemptions: 2 },
    });
    expect(atCount.body).toMatchObject({ max_redemptions: 2, redeemed_count: 2 });
  });

  it("answers 409 when a redemption passes the new cap between the check and the write", async () => {
    const tenant = await createTenant();
    const coupon = await createCoupon(tenant);
    await redeem(tenant, coupon.id, "ord_1");
    const ctx = racingContext(tenant, () => redeem(tenant, coupon.id, "ord_2"));
    const changes = UpdateCouponBody.parse({ max_redemptions: 1 });
    await expect(updateCoupon({ ctx, input: { id: coupon.id, changes } })).rejects.toMatchObject({
      code: "conflict",
    });
    const [row] = await db.select().from(coupons).where(eq(coupons.id, coupon.id));
    expect(row).toMatchObject({ maxRedemptions: null, redeemedCount: 2 });
  });

  it("answers 404 for an unknown id", async () => {
    const tenant = await createTenant();
    const res = await api("PATCH", "/v1/coupons/cpn_missing", {
      key: tenant.key,
      body: { status: "archived" },
    });
    expect(res.status).toBe(404);
  });
});

describe("couponForQuote", () => {
  const ask = (tenant: Tenant, code: string, overrides: Partial<Parameters<typeof couponForQuote>[1]> = {}) =>
    couponForQuote(db, {
      creatorId: tenant.creatorId,
      code,
      offerId: "off_any",
      currency: "USD",
      buyerKey: "anon:b1",
      now: Date.now(),
      ...overrides,
    });

  it("returns the pricing engine's terms, matching the code in any case", async () => {
    const tenant = await createTenant();
    await createCoupon(tenant, { code: "PCT", percent_off: 12.5 });
    await createCoupon(tenant, { code: "AMT", amount_off: { currency: "USD", amount: 250 } });
    expect(await ask(tenant, "pct")).toEqual({
      terms: { code: "PCT", kind: "percent", bps: 1250 },
      expiresAt: null,
    });
    expect((await ask(tenant, "Amt")).terms).toEqual({
      code: "AMT",
      kind: "amount",
      amount: 250,
      currency: "USD",
    });
  });

  it("refuses an unknown, archived or another creator's code with coupon_unknown", async () => {
    const tenant = await createTenant();
    const archived = await createCoupon(tenant, percentCoupon({ code: "GONE" }));
    await api("PATCH", `/v1/coupons/${archived.id}`, { key: tenant.key, body: { status: "archived" } });
    await createCoupon(await createTenant("Stranger"), percentCoupon({ code: "THEIRS" }));
    for (const code of ["NOPE", "GONE", "THEIRS"]) {
      await expect(ask(tenant, code)).rejects.toMatchObject({ code: "coupon_unknown" });
    }
  });

  it("refuses another offer or another currency with coupon_not_applicable", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    await createCoupon(tenant, percentCoupon({ code: "SCOPED", offer_ids: [offer.id] }));
    await createCoupon(tenant, { code: "EUROS", amount_off: { currency: "EUR", amount: 100 } });
    expect(await ask(tenant, "SCOPED", { offerId: offer.id })).toMatchObject({ terms: { kind: "percent" } });
    await expect(ask(tenant, "SCOPED")).rejects.toMatchObject({ code: "coupon_not_applicable" });
    await expect(ask(tenant, "EUROS")).rejects.toMatchObject({ code: "coupon_not_applicable" });
    expect(await ask(tenant, "EUROS", { currency: "EUR" })).toMatchObject({ terms: { kind: "amount" } });
  });

  it("refuses a coupon at and after its expiry with coupon_expired", async () => {
    const tenant = await createTenant();
    const expiresAt = Date.now() + 60_000;
    await createCoupon(
      tenant,
      percentCoupon({ code: "SOON", expires_at: new Date(expiresAt).toISOString() }),
    );
    expect(await ask(tenant, "SOON", { now: expiresAt - 1 })).toMatchObject({ terms: { kind: "percent" } });
    await expect(ask(tenant, "SOON", { now: expiresAt })).rejects.toMatchObject({ code: "coupon_expired" });
  });

  it("refuses a used-up coupon with coupon_exhausted, reading fresh each time", async () => {
    const tenant = await createTenant();
    const total = await createCoupon(tenant, percentCoupon({ code: "ONCE", max_redemptions: 1 }));
    const perBuyer = await createCoupon(tenant, percentCoupon({ code: "TWICE", max_per_buyer: 2 }));
    expect(await ask(tenant, "ONCE")).toMatchObject({ terms: { kind: "percent" } });
    await redeem(tenant, total.id, "ord_1", "anon:someone-else");
    await expect(ask(tenant, "ONCE")).rejects.toMatchObject({ code: "coupon_exhausted" });
    await redeem(tenant, perBuyer.id, "ord_2");
    await redeem(tenant, perBuyer.id, "ord_3");
    await expect(ask(tenant, "TWICE")).rejects.toMatchObject({ code: "coupon_exhausted" });
    expect(await ask(tenant, "TWICE", { buyerKey: "anon:b2" })).toMatchObject({ terms: { kind: "percent" } });
  });
});

describe("redeemCoupon", () => {
  it("counts the redemption with its audit row; the same order again counts nothing", async () => {
    const tenant = await createTenant();
    const coupon = await createCoupon(tenant, percentCoupon({ max_redemptions: 5 }));
    const before = await tableCounts();
    expect(await redeem(tenant, coupon.id, "ord_1")).toMatchObject({ replayed: false });
    expect(await redeem(tenant, coupon.id, "ord_1")).toMatchObject({ replayed: true });
    const after = await tableCounts();
    expect(after.coupon_redemptions).toBe((before.coupon_redemptions ?? 0) + 1);
    expect(after.audit_events).toBe((before.audit_events ?? 0) + 1);
    expect((await api("GET", `/v1/coupons/${coupon.id}`, { key: tenant.key })).body.redeemed_count).toBe(1);
  });

  it("lets a replay of the same order through even after the coupon is used up", async () => {
    const tenant = await createTenant();
    const coupon = await createCoupon(tenant, percentCoupon({ max_redemptions: 1 }));
    await redeem(tenant, coupon.id, "ord_1");
    const replays = await Promise.all(Array.from({ length: 5 }, () => redeem(tenant, coupon.id, "ord_1")));
    expect(replays.every((r) => r.replayed)).toBe(true);
    await expect(redeem(tenant, coupon.id, "ord_2")).rejects.toMatchObject({ code: "coupon_exhausted" });
    const [row] = await db.select().from(coupons).where(eq(coupons.id, coupon.id));
    expect(row?.redeemedCount).toBe(1);
  });

  it("treats another creator's or an archived coupon as unknown", async () => {
    const tenant = await createTenant();
    const coupon = await createCoupon(tenant);
    const stranger = await createTenant("Stranger");
    await expect(redeem(stranger, coupon.id, "ord_1")).rejects.toMatchObject({ code: "coupon_unknown" });
    await api("PATCH", `/v1/coupons/${coupon.id}`, { key: tenant.key, body: { status: "archived" } });
    await expect(redeem(tenant, coupon.id, "ord_1")).rejects.toMatchObject({ code: "coupon_unknown" });
  });

  /** Fires `calls` concurrent redemptions, order i by buyer i % buyers; returns the outcome per call. */
  async function stampede(tenant: Tenant, couponId: string, calls: number, buyers: number) {
    const outcomes = await Promise.allSettled(
      Array.from({ length: calls }, (_, i) =>
        redeem(tenant, couponId, `ord_${i}`, `anon:buyer-${i % buyers}`),
      ),
    );
    const rows = await db.select().from(couponRedemptions).where(eq(couponRedemptions.couponId, couponId));
    const perBuyer = new Map<string, number>();
    for (const r of rows) perBuyer.set(r.buyerKey, (perBuyer.get(r.buyerKey) ?? 0) + 1);
    const [coupon] = await db.select().from(coupons).where(eq(coupons.id, couponId));
    return {
      granted: outcomes.filter((o) => o.status === "fulfilled").length,
      failures: outcomes.flatMap((o) => (o.status === "rejected" ? [codeOf(o.reason)] : [])),
      rows: rows.length,
      perBuyer: [...perBuyer.values()],
      redeemedCount: coupon?.redeemedCount,
    };
  }

  it("coupon limits never exceeded under 200 concurrent redemptions", { timeout: 60_000 }, async () => {
    const tenant = await createTenant();
    const coupon = await createCoupon(tenant, percentCoupon({ max_redemptions: 50, max_per_buyer: 3 }));
    const result = await stampede(tenant, coupon.id, 200, 20);
    expect(result.redeemedCount).toBe(50);
    expect(result.rows).toBe(50);
    expect(result.granted).toBe(50);
    expect(Math.max(...result.perBuyer)).toBeLessThanOrEqual(3);
    expect(result.failures).toEqual(Array(150).fill("coupon_exhausted"));
  });

  it("holds the per-buyer limit alone under 200 concurrent redemptions from 5 buyers", {
    timeout: 60_000,
  }, async () => {
    const tenant = await createTenant();
    const coupon = await createCoupon(tenant, percentCoupon({ max_per_buyer: 2 }));
    const result = await stampede(tenant, coupon.id, 200, 5);
    expect(result).toMatchObject({ redeemedCount: 10, rows: 10, granted: 10 });
    expect(result.perBuyer).toEqual([2, 2, 2, 2, 2]);
    expect(result.failures).toEqual(Array(190).fill("coupon_exhausted"));
  });

  it("holds both limits with the guarded writes alone, with no read before them", {
    timeout: 60_000,
  }, async () => {
    const tenant = await createTenant();
    const coupon = await createCoupon(tenant, percentCoupon({ max_redemptions: 30, max_per_buyer: 4 }));
    const now = Date.now();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        runBatch(
          db,
          redemptionWrites(db, { couponId: coupon.id, orderId: `ord_${i}`, buyerKey: `b${i % 10}`, now }),
        ),
      ),
    );
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(30);
    const [row] = await db.select().from(coupons).where(eq(coupons.id, coupon.id));
    expect(row?.redeemedCount).toBe(30);
    for (let b = 0; b < 10; b++) {
      const mine = await db
        .select()
        .from(couponRedemptions)
        .where(and(eq(couponRedemptions.couponId, coupon.id), eq(couponRedemptions.buyerKey, `b${b}`)));
      expect(mine.length).toBeLessThanOrEqual(4);
    }
  });
});

authorisationSuite(
  "POST /v1/coupons",
  async () => (key) => api("POST", "/v1/coupons", { key, body: percentCoupon() }),
  "created_separately",
);
authorisationSuite(
  "GET /v1/coupons",
  async (owner) => {
    await createCoupon(owner);
    return (key) => api("GET", "/v1/coupons", { key });
  },
  "empty_list",
);
authorisationSuite("GET /v1/coupons/{id}", async (owner) => {
  const coupon = await createCoupon(owner);
  return (key) => api("GET", `/v1/coupons/${coupon.id}`, { key });
});
authorisationSuite("PATCH /v1/coupons/{id}", async (owner) => {
  const coupon = await createCoupon(owner);
  return (key) => api("PATCH", `/v1/coupons/${coupon.id}`, { key, body: { status: "archived" } });
});
