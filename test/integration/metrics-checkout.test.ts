/**
 * The checkout-side KPIs against hand-computed answers on fixed datasets (May 2026). Each dataset is
 * written under its own creator, so every exact figure also proves that no other creator's rows counted.
 * The expected numbers are worked out in the comments beside them, never by the code under test.
 */
import { env } from "cloudflare:workers";
import { and, eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { sweepCheckouts } from "../../src/checkout/sweep";
import { database } from "../../src/db/client";
import { checkouts, exposureCounts } from "../../src/db/schema";
import { inventoryGateway } from "../../src/inventory/gateway";
import { conversionReport } from "../../src/metrics/checkout-conversion";
import { timeToEntitlementReport } from "../../src/metrics/checkout-entitlement";
import { dropFunnelReport } from "../../src/metrics/checkout-funnel";
import { paymentsReport } from "../../src/metrics/checkout-payments";
import { upsellsReport } from "../../src/metrics/checkout-upsells";
import { exposure, exposureSink, flushStatements, shardName } from "../../src/metrics/counters";
import type { ProviderEvent } from "../../src/payments/provider";
import { createSandboxProvider } from "../../src/payments/sandbox";
import { api, type Json } from "../support/api";
import { authorisationSuite } from "../support/auth-suite";
import {
  at,
  checkout,
  countAndFlush,
  drop,
  flushAllShards,
  paidOrder,
  waitingCounts,
} from "../support/checkout-metrics";
import { checkout as checkoutVia, quotedDrop } from "../support/checkouts";
import { createDrop, createOffer } from "../support/fixtures";
import { breakdownOf, metric, seriesOf, tier } from "../support/revenue";
import { createTenant, db, racingContext, type Tenant } from "../support/tenants";

const MAY = "from=2026-05-01&to=2026-06-01";
const JUNE_FIRST = at("2026-06-01T00:00:00Z");

const ok = async (tenant: Tenant, name: string, query: string): Promise<Json> => {
  const res = await metric(tenant, name, query);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};

/**
 * Drop D1 (stock 3, starts 05-10 10:00): 10 quotes, 6 holds, 2 holds expired (counters); 5 checkouts:
 * three paid (TTE 100, 300, 2000 ms; paid 10:10, 10:20, 10:30, so the third sold the last unit 30
 * minutes in), one declined, one expired. Drop D2 (stock 10): 4 quotes, 2 holds; 05-11 one paid (TTE
 * 500) and one pending. No drop, 05-12: eleven paid, TTE 100, 200 … 1000 and 5000. After the range
 * (1 June 00:00, `to` is exclusive): a paid D1 checkout with TTE 9999.
 */
async function dropWorld(tenant: Tenant) {
  const offer = await tier(tenant);
  const d1 = await drop(tenant, { offerId: offer, stock: 3, startsAt: at("2026-05-10T10:00:00Z") });
  const d2 = await drop(tenant, { offerId: offer, stock: 10, startsAt: at("2026-05-11T10:00:00Z") });
  const day10 = at("2026-05-10T10:05:00Z");
  await countAndFlush(tenant, [
    { kind: "quote", count: 10, at: day10, offerId: offer, dropId: d1 },
    { kind: "hold", count: 6, at: day10, offerId: offer, dropId: d1 },
    { kind: "hold_expired", count: 2, at: day10, offerId: offer, dropId: d1 },
    { kind: "quote", count: 4, at: at("2026-05-11T11:00:00Z"), offerId: offer, dropId: d2 },
    { kind: "hold", count: 2, at: at("2026-05-11T11:00:00Z"), offerId: offer, dropId: d2 },
  ]);
  for (const [ttfMs, minute] of [
    [100, 10],
    [300, 20],
    [2000, 30],
  ] as const) {
    await checkout(tenant, {
      offerId: offer,
      dropId: d1,
      createdAt: day10,
      paidAt: at(`2026-05-10T10:${minute}:00Z`),
      ttfMs,
    });
  }
  await checkout(tenant, {
    offerId: offer,
    dropId: d1,
    createdAt: day10,
    status: "failed",
    failureCode: "card_declined",
  });
  await checkout(tenant, { offerId: offer, dropId: d1, createdAt: day10, status: "expired" });
  await checkout(tenant, { offerId: offer, dropId: d2, createdAt: at("2026-05-11T12:00:00Z"), ttfMs: 500 });
  await checkout(tenant, {
    offerId: offer,
    dropId: d2,
    createdAt: at("2026-05-11T12:00:00Z"),
    status: "pending",
  });
  const plain = await tier(tenant);
  for (const ttfMs of [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 5000]) {
    await checkout(tenant, { offerId: plain, createdAt: at("2026-05-12T09:00:00Z"), ttfMs });
  }
  await checkout(tenant, { offerId: offer, dropId: d1, createdAt: JUNE_FIRST, ttfMs: 9999 });
  return { d1, d2 };
}

describe("time to entitlement", () => {
  let tenant: Tenant;
  let world: Awaited<ReturnType<typeof dropWorld>>;
  beforeAll(async () => {
    tenant = await createTenant();
    world = await dropWorld(tenant);
  });

  it("answers nearest-rank p50/p90/p99 and the share within the default 1000 ms target", async () => {
    const body = await ok(tenant, "time-to-entitlement", MAY);
    // 15 values: 100 100 200 300 300 400 500 500 600 700 800 900 1000 2000 5000 (9999 is in June).
    // p50: rank ⌈7.5⌉ = 8 → 500; p90: ⌈13.5⌉ = 14 → 2000; p99: ⌈14.85⌉ = 15 → 5000; ≤ 1000: 13 of 15.
    expect(body.summary).toEqual({
      paid_checkouts: 15,
      p50_ms: 500,
      p90_ms: 2000,
      p99_ms: 5000,
      within_target: 13 / 15,
      target_ms: 1000,
    });
    expect(body.metric).toBe("time-to-entitlement");
    expect(body.to).toBe("2026-06-01T00:00:00.000Z");
  });

  it("answers the same figures per UTC day and per drop", async () => {
    const body = await ok(tenant, "time-to-entitlement", MAY);
    // 05-10: 100 300 2000 → p50 ⌈1.5⌉ = 2 → 300, p90 ⌈2.7⌉ = 3 → 2000. 05-12: 11 values → p50 rank 6 →
    // 600, p90 rank ⌈9.9⌉ = 10 → 1000, p99 rank 11 → 5000. Days without checkouts have no percentile.
    const p50 = seriesOf(body, "p50_ms");
    expect([p50["2026-05-10"], p50["2026-05-11"], p50["2026-05-12"], p50["2026-05-13"]]).toEqual([
      300,
      500,
      600,
      null,
    ]);
    expect(seriesOf(body, "p90_ms")["2026-05-12"]).toBe(1000);
    expect(seriesOf(body, "p99_ms")["2026-05-12"]).toBe(5000);
    expect(seriesOf(body, "within_target")["2026-05-10"]).toBe(2 / 3);
    expect(Object.keys(p50)).toHaveLength(31);
    const byDrop = breakdownOf(body, "by_drop");
    expect(byDrop[world.d1]).toEqual({
      paid_checkouts: 3,
      p50_ms: 300,
      p90_ms: 2000,
      p99_ms: 2000,
      within_target: 2 / 3,
    });
    expect(byDrop[world.d2]).toEqual({
      paid_checkouts: 1,
      p50_ms: 500,
      p90_ms: 500,
      p99_ms: 500,
      within_target: 1,
    });
    expect(Object.keys(byDrop)).toHaveLength(2);
  });

  it("takes the SLO target and a drop filter from the query", async () => {
    // ≤ 300 ms: 100 100 200 300 300 → 5 of 15.
    expect((await ok(tenant, "time-to-entitlement", `${MAY}&target_ms=300`)).summary.within_target).toBe(
      5 / 15,
    );
    const d1 = await ok(tenant, "time-to-entitlement", `${MAY}&drop_id=${world.d1}`);
    expect(d1.summary).toMatchObject({ paid_checkouts: 3, p50_ms: 300, p90_ms: 2000 });
  });

  it("counts a checkout created at `from` and never one created at `to`", async () => {
    const body = await ok(tenant, "time-to-entitlement", "from=2026-05-12T09:00:00Z&to=2026-06-01T00:00:00Z");
    expect(body.summary.paid_checkouts).toBe(11);
    const june = await ok(tenant, "time-to-entitlement", "from=2026-06-01&to=2026-06-02");
    expect(june.summary).toMatchObject({ paid_checkouts: 1, p50_ms: 9999 });
  });

  it("answers another creator's drop with 404", async () => {
    const res = await metric(await createTenant(), "time-to-entitlement", `${MAY}&drop_id=${world.d1}`);
    expect(res.status).toBe(404);
  });
});

describe("drop funnel", () => {
  let tenant: Tenant;
  let world: Awaited<ReturnType<typeof dropWorld>>;
  beforeAll(async () => {
    tenant = await createTenant();
    world = await dropWorld(tenant);
  });

  it("answers quotes → holds → checkouts → paid → entitled per drop with hold expiry and sell-through", async () => {
    const body = await ok(tenant, "drop-funnel", MAY);
    const byDrop = breakdownOf(body, "by_drop");
    // D1: 10 → 6 → 5 → 3 → 3; 2 of 6 holds expired; the third unit sold 30 minutes after the start.
    expect(byDrop[world.d1]).toEqual({
      quotes: 10,
      holds: 6,
      checkouts: 5,
      paid: 3,
      entitled: 3,
      holds_expired: 2,
      hold_expiry_rate: 2 / 6,
      paid_per_checkout: 3 / 5,
      paid_per_quote: 3 / 10,
      sell_through_ms: 30 * 60_000,
    });
    // D2: 4 → 2 → 2 → 1 → 1, one of ten units sold: not sold through.
    expect(byDrop[world.d2]).toMatchObject({
      quotes: 4,
      holds: 2,
      checkouts: 2,
      paid: 1,
      entitled: 1,
      sell_through_ms: null,
    });
    // Overall: the drops' sum; the eleven checkouts without a drop are in no drop funnel.
    expect(body.summary).toMatchObject({
      quotes: 14,
      holds: 8,
      checkouts: 7,
      paid: 4,
      entitled: 4,
      drops: 2,
    });
    expect(seriesOf(body, "quotes")["2026-05-10"]).toBe(10);
    expect(seriesOf(body, "checkouts")["2026-05-11"]).toBe(2);
  });

  it("narrows to one drop, and answers another creator's drop with 404", async () => {
    const body = await ok(tenant, "drop-funnel", `${MAY}&drop_id=${world.d2}`);
    expect(body.summary).toMatchObject({ quotes: 4, holds: 2, checkouts: 2, paid: 1, drops: 1 });
    expect((await metric(await createTenant(), "drop-funnel", `${MAY}&drop_id=${world.d2}`)).status).toBe(
      404,
    );
  });
});

describe("exposure counters", () => {
  it("sums counts in the object and lands them in D1 once per flush", async () => {
    const tenant = await createTenant();
    const offerId = await tier(tenant);
    const when = at("2026-05-20T08:00:00Z");
    const first = await countAndFlush(tenant, [
      { kind: "quote", count: 3, at: when, offerId },
      { kind: "quote", count: 2, at: when, offerId },
    ]);
    expect(first).toEqual({ flushed: 1, pending: 0 });
    const again = await countAndFlush(tenant, []);
    expect(again.flushed).toBe(0);
    const rows = await db
      .select({ count: exposureCounts.count })
      .from(exposureCounts)
      .where(and(eq(exposureCounts.creatorId, tenant.creatorId), eq(exposureCounts.day, "2026-05-20")));
    expect(rows).toEqual([{ count: 5 }]);
  });

  it("flushes from its alarm, which every add schedules", async () => {
    const { runDurableObjectAlarm } = await import("cloudflare:test");
    const tenant = await createTenant();
    const name = shardName(tenant.creatorId, 1);
    const stub = env.EXPOSURE_COUNTER.get(env.EXPOSURE_COUNTER.idFromName(name));
    await stub.add(name, [
      exposure({ creatorId: tenant.creatorId, kind: "hold", at: at("2026-05-22T08:00:00Z"), count: 2 }),
    ]);
    expect(await stub.waiting()).toEqual({ pending: 1, inflight: 0 });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.waiting()).toEqual({ pending: 0, inflight: 0 });
    const rows = await db
      .select({ kind: exposureCounts.kind, count: exposureCounts.count })
      .from(exposureCounts)
      .where(and(eq(exposureCounts.creatorId, tenant.creatorId), eq(exposureCounts.day, "2026-05-22")));
    expect(rows).toEqual([{ kind: "hold", count: 2 }]);
  });

  it("applies a flush resent after a lost answer only once", async () => {
    const tenant = await createTenant();
    const group = exposure({
      creatorId: tenant.creatorId,
      kind: "hold",
      at: at("2026-05-21T08:00:00Z"),
      count: 4,
    });
    const flush = { creatorId: tenant.creatorId, shard: `${tenant.creatorId}:0`, flushId: "flush_a" };
    await env.DB.batch(flushStatements(env.DB, flush, [group]));
    await env.DB.batch(flushStatements(env.DB, flush, [group]));
    await env.DB.batch(flushStatements(env.DB, { ...flush, flushId: "flush_b" }, [group]));
    const [row] = await db.all<{ n: number; markers: number }>(sql`SELECT
      (SELECT count FROM exposure_counts WHERE creator_id = ${tenant.creatorId} AND day = '2026-05-21') AS n,
      (SELECT COUNT(*) FROM exposure_counts WHERE creator_id = ${tenant.creatorId} AND day = 'flush') AS markers`);
    // flush_a twice → 4 once; flush_b → 8; only the latest marker is kept.
    expect(row).toEqual({ n: 8, markers: 1 });
  });

  it("counts a quote without changing its answer, and the count reaches D1 when the shard flushes", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const res = await api("POST", "/v1/quotes", {
      body: { offer_id: offer.id },
      headers: { "buyer-id": "buyer-metrics-0001" },
    });
    expect(res.status).toBe(201);
    expect(res.body.object).toBe("quote");
    // The count travels after the answer (waitUntil); wait for it to arrive, then flush every shard.
    for (let i = 0; i < 200 && (await waitingCounts(tenant.creatorId)) === 0; i++) await scheduler.wait(5);
    await flushAllShards(tenant.creatorId);
    const rows = await db
      .select({
        kind: exposureCounts.kind,
        offerId: exposureCounts.offerId,
        count: exposureCounts.count,
        source: exposureCounts.source,
      })
      .from(exposureCounts)
      .where(and(eq(exposureCounts.creatorId, tenant.creatorId), eq(exposureCounts.kind, "quote")));
    expect(rows.filter((r) => r.offerId === offer.id)).toEqual([
      { kind: "quote", offerId: offer.id, count: 1, source: "" },
    ]);
  });

  it("counts a quote under the source the page names (a link's), and refuses a source that is none", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const quoted = (source: string) =>
      api("POST", "/v1/quotes", {
        body: { offer_id: offer.id, source },
        headers: { "buyer-id": "buyer-metrics-0002" },
      });
    expect((await quoted("link")).status).toBe(201);
    expect((await quoted("twitter")).status).toBe(422);
    for (let i = 0; i < 200 && (await waitingCounts(tenant.creatorId)) === 0; i++) await scheduler.wait(5);
    await flushAllShards(tenant.creatorId);
    const rows = await db
      .select({ offerId: exposureCounts.offerId, count: exposureCounts.count, source: exposureCounts.source })
      .from(exposureCounts)
      .where(and(eq(exposureCounts.creatorId, tenant.creatorId), eq(exposureCounts.kind, "quote")));
    expect(rows.filter((r) => r.offerId === offer.id)).toEqual([
      { offerId: offer.id, count: 1, source: "link" },
    ]);
  });
});

/**
 * Payments (05-12 … 05-16): X declined (generic) then paid the same offer 2 h later; Y declined
 * (insufficient funds) then paid on the same checkout; Z declined (generic) and paid 25 h later; W's
 * payment errored (processing_error, no decline code) and W paid another offer. Provider retries: X's
 * paid checkout (2) and a pending one (1). A free checkout created no payment; one declined in June.
 */
async function paymentsWorld(tenant: Tenant) {
  const [offer, other] = [await tier(tenant), await tier(tenant)];
  const declined = (code: string, decline: string | null) => ({ failureCode: code, declineCode: decline });
  await checkout(tenant, {
    offerId: offer,
    buyer: "X",
    createdAt: at("2026-05-12T10:00:00Z"),
    status: "failed",
    ...declined("card_declined", "generic_decline"),
  });
  await checkout(tenant, {
    offerId: offer,
    buyer: "X",
    createdAt: at("2026-05-12T12:00:00Z"),
    providerRetries: 2,
  });
  await checkout(tenant, {
    offerId: offer,
    buyer: "Y",
    createdAt: at("2026-05-13T10:00:00Z"),
    paidAt: at("2026-05-13T10:05:00Z"),
    ...declined("card_declined", "insufficient_funds"),
  });
  await checkout(tenant, {
    offerId: offer,
    buyer: "Z",
    createdAt: at("2026-05-14T10:00:00Z"),
    status: "failed",
    ...declined("card_declined", "generic_decline"),
  });
  await checkout(tenant, { offerId: offer, buyer: "Z", createdAt: at("2026-05-15T11:00:00Z") });
  await checkout(tenant, {
    offerId: offer,
    buyer: "W",
    createdAt: at("2026-05-14T10:00:00Z"),
    status: "failed",
    ...declined("processing_error", null),
  });
  await checkout(tenant, { offerId: other, buyer: "W", createdAt: at("2026-05-14T11:00:00Z") });
  await checkout(tenant, {
    offerId: offer,
    createdAt: at("2026-05-16T10:00:00Z"),
    status: "pending",
    providerRetries: 1,
  });
  await checkout(tenant, {
    offerId: offer,
    createdAt: at("2026-05-16T10:00:00Z"),
    amount: 0,
    paymentId: null,
  });
  await checkout(tenant, {
    offerId: offer,
    buyer: "V",
    createdAt: JUNE_FIRST,
    status: "failed",
    ...declined("card_declined", "generic_decline"),
  });
}

describe("payments", () => {
  it("answers the failure rate, declines by code, buyer retry success and provider retries", async () => {
    const tenant = await createTenant();
    await paymentsWorld(tenant);
    const body = await ok(tenant, "payments", MAY);
    // Attempted 8 (not the free one, not June's); failed 4; paid 4 (X, Y, Z, W's other offer).
    // Buyers with a failure X Y Z W; recovered X (2 h) and Y (same checkout); Z paid after 25 h, W another offer.
    expect(body.summary).toEqual({
      attempted: 8,
      paid: 4,
      failed: 4,
      failure_rate: 0.5,
      buyers_with_failure: 4,
      buyers_recovered: 2,
      buyer_retry_success: 0.5,
      provider_retried: 2,
      provider_retries: 3,
      provider_retry_success: 0.5,
    });
    expect(breakdownOf(body, "by_decline_code")).toEqual({
      generic_decline: { failed: 2, share_of_failed: 0.5 },
      insufficient_funds: { failed: 1, share_of_failed: 0.25 },
      processing_error: { failed: 1, share_of_failed: 0.25 },
    });
    const daily = seriesOf(body, "failure_rate");
    // 05-12 1 of 2; 05-13 1 of 1; 05-14 2 of 3; 05-15 0 of 1; 05-17 none.
    expect([
      daily["2026-05-12"],
      daily["2026-05-13"],
      daily["2026-05-14"],
      daily["2026-05-15"],
      daily["2026-05-17"],
    ]).toEqual([0.5, 1, 2 / 3, 0, null]);
  });
});

describe("conversion", () => {
  it("answers conversion by source and by experiment arm with revenue per exposure", async () => {
    const tenant = await createTenant();
    const offer = await tier(tenant);
    const when = at("2026-05-12T10:00:00Z");
    // Quotes: 10 per arm of experiment E from browsers (no source), 5 from the API; holds: 6 link, 3 overlay.
    await countAndFlush(tenant, [
      { kind: "quote", count: 10, at: when, offerId: offer, experimentId: "exp_e", experimentArm: "control" },
      { kind: "quote", count: 10, at: when, offerId: offer, experimentId: "exp_e", experimentArm: "treat" },
      { kind: "quote", count: 5, at: when, offerId: offer, source: "api" },
      { kind: "hold", count: 6, at: when, offerId: offer, source: "link" },
      { kind: "hold", count: 3, at: when, offerId: offer, source: "overlay" },
    ]);
    const control = { id: "exp_e", arm: "control" };
    const treat = { id: "exp_e", arm: "treat" };
    await checkout(tenant, {
      offerId: offer,
      createdAt: when,
      source: "link",
      amount: 1000,
      experiment: control,
    });
    await checkout(tenant, {
      offerId: offer,
      createdAt: when,
      source: "link",
      amount: 1000,
      experiment: control,
    });
    await checkout(tenant, {
      offerId: offer,
      createdAt: when,
      source: "link",
      amount: 1200,
      experiment: treat,
    });
    await checkout(tenant, {
      offerId: offer,
      createdAt: when,
      source: "link",
      status: "failed",
      failureCode: "card_declined",
      experiment: treat,
    });
    await checkout(tenant, {
      offerId: offer,
      createdAt: when,
      source: "overlay",
      amount: 1200,
      experiment: treat,
    });
    await checkout(tenant, { offerId: offer, createdAt: when, source: "overlay", status: "expired" });
    await checkout(tenant, { offerId: offer, createdAt: when, source: "pos", amount: 500 });
    await checkout(tenant, { offerId: offer, createdAt: when, source: "api", status: "pending" });
    await checkout(tenant, { offerId: offer, createdAt: JUNE_FIRST, source: "link", experiment: control });
    const body = await ok(tenant, "conversion", MAY);
    expect(body.summary).toEqual({
      quotes: 25,
      quotes_without_source: 20,
      holds: 9,
      orders: 8,
      paid: 5,
      conversion: 5 / 8,
      paid_per_quote: 5 / 25,
    });
    const bySource = breakdownOf(body, "by_source");
    expect(bySource.link).toEqual({
      quotes: 0,
      holds: 6,
      orders: 4,
      paid: 3,
      conversion: 0.75,
      paid_per_quote: null,
    });
    expect(bySource.overlay).toMatchObject({ holds: 3, orders: 2, paid: 1, conversion: 0.5 });
    expect(bySource.pos).toMatchObject({ orders: 1, paid: 1, conversion: 1 });
    expect(bySource.api).toEqual({
      quotes: 5,
      holds: 0,
      orders: 1,
      paid: 0,
      conversion: 0,
      paid_per_quote: 0,
    });
    // control: 10 exposures, 2 paid, 2000 → 200 per exposure; treat: 10, 2 paid (1200 + 1200) → 240.
    expect(breakdownOf(body, "by_experiment_arm")).toEqual({
      "exp_e/control": {
        exposures: 10,
        conversions: 2,
        conversion: 0.2,
        revenue: 2000,
        revenue_per_exposure: 200,
      },
      "exp_e/treat": {
        exposures: 10,
        conversions: 2,
        conversion: 0.2,
        revenue: 2400,
        revenue_per_exposure: 240,
      },
    });
    expect(body.currency).toBe("USD");
  });
});

describe("upsells", () => {
  it("answers upsell conversion among paying buyers and the AOV of baskets with and without one", async () => {
    const tenant = await createTenant();
    const [main, up, bundle] = [
      await tier(tenant),
      await tier(tenant, { kind: "upsell" }),
      await tier(tenant, { kind: "bundle" }),
    ];
    const t = (hm: string, day = "10") => at(`2026-05-${day}T${hm}:00Z`);
    // A: main 2000 + upsell 500 ten minutes later: one basket of 2500, with.
    await paidOrder(tenant, { offerId: main, buyer: "A", paidAt: t("10:00"), amount: 2000 });
    await paidOrder(tenant, { offerId: up, buyer: "A", paidAt: t("10:10"), amount: 500 });
    // B: main 2000, then the upsell an hour later: two baskets, 2000 without and 500 with.
    await paidOrder(tenant, { offerId: main, buyer: "B", paidAt: t("11:00"), amount: 2000 });
    await paidOrder(tenant, { offerId: up, buyer: "B", paidAt: t("12:00"), amount: 500 });
    // C: a bundle of 3000 (with). D: 2000 and 1000 exactly 30 minutes apart: one basket of 3000, without.
    await paidOrder(tenant, { offerId: bundle, buyer: "C", paidAt: t("09:00", "11"), amount: 3000 });
    await paidOrder(tenant, { offerId: main, buyer: "D", paidAt: t("09:00", "11"), amount: 2000 });
    await paidOrder(tenant, { offerId: main, buyer: "D", paidAt: t("09:30", "11"), amount: 1000 });
    // Left out: E paid in EUR; F paid on 1 June.
    await paidOrder(tenant, { offerId: up, buyer: "E", paidAt: t("10:00"), amount: 900, currency: "EUR" });
    await paidOrder(tenant, { offerId: up, buyer: "F", paidAt: JUNE_FIRST, amount: 900 });
    const body = await ok(tenant, "upsells", MAY);
    // Buyers A B C D; upsell buyers A B. Baskets with: 2500, 500, 3000 → 2000; without: 2000, 3000 → 2500.
    expect(body.summary).toMatchObject({
      paying_buyers: 4,
      upsell_buyers: 2,
      upsell_conversion: 0.5,
      upsell_orders: 2,
      upsell_revenue: 1000,
      baskets: 5,
      baskets_with_upsell_or_bundle: 3,
      aov_with: 2000,
      aov_without: 2500,
    });
    expect(body.summary.aov_lift).toBeCloseTo(-0.2, 12);
    const daily = seriesOf(body, "upsell_conversion");
    expect([daily["2026-05-10"], daily["2026-05-11"], daily["2026-05-12"]]).toEqual([1, 0, null]);
  });
});

describe("bad ranges", () => {
  it.each([
    ["`to` before `from`", "from=2026-05-10&to=2026-05-01"],
    ["an empty range", "from=2026-05-10&to=2026-05-10"],
    ["a range over 400 days", "from=2025-01-01&to=2026-06-01"],
    ["no `to`", "from=2026-05-10"],
    ["a date that is no date", "from=2026-13-01&to=2026-14-01"],
    ["an unknown parameter", `${MAY}&limit=5`],
  ])("answers %s with one 422 problem", async (_, query) => {
    const tenant = await createTenant();
    for (const name of ["time-to-entitlement", "drop-funnel", "conversion", "payments", "upsells"]) {
      const res = await metric(tenant, name, query);
      expect(res.status, `${name}: ${JSON.stringify(res.body)}`).toBe(422);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
  });
});

/** A D1 binding that records every statement the report runs, to ask SQLite how it would run each. */
function recordingD1(statements: { text: string; params: unknown[] }[]): D1Database {
  return new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "prepare") {
        return (text: string) => {
          const real = target.prepare(text);
          return new Proxy(real, {
            get(stmt, p) {
              if (p === "bind")
                return (...params: unknown[]) => {
                  statements.push({ text, params });
                  return stmt.bind(...params);
                };
              const v = Reflect.get(stmt, p, stmt);
              return typeof v === "function" ? v.bind(stmt) : v;
            },
          });
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

describe("query plans", () => {
  const reports = {
    "time-to-entitlement": timeToEntitlementReport,
    "drop-funnel": dropFunnelReport,
    conversion: conversionReport,
    payments: paymentsReport,
    upsells: upsellsReport,
  };
  it.each(Object.keys(reports) as (keyof typeof reports)[])(
    "%s reads only the creator's index ranges, never a whole table",
    async (name) => {
      const tenant = await createTenant();
      const statements: { text: string; params: unknown[] }[] = [];
      const ctx = { ...racingContext(tenant, async () => {}), db: database(recordingD1(statements)) };
      await reports[name]({ ctx, input: { from: "2026-05-01", to: "2026-06-01" } });
      expect(statements.length).toBeGreaterThan(0);
      let searches = 0;
      for (const { text, params } of statements) {
        const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${text}`)
          .bind(...params)
          .all<{ detail: string }>();
        for (const { detail } of plan.results) {
          // A full scan of a table (not of a CTE or a temporary b-tree) would read other creators' rows.
          expect(detail, text).not.toMatch(
            /^SCAN (checkouts|orders|exposure_counts|entitlements|drops|offers|creators|c|o|p|e|d|f)( |$)/,
          );
          if (/^SEARCH (checkouts|orders|exposure_counts|drops|c|o|d)\b/.test(detail)) {
            expect(detail, text).toMatch(/creator_id=|\(id=\?\)|\(rowid=\?\)/);
            searches += 1;
          }
        }
      }
      // Every report reads at least one of those tables through an index (the check above ran).
      expect(searches).toBeGreaterThan(0);
    },
  );
});

for (const name of ["time-to-entitlement", "drop-funnel"]) {
  authorisationSuite(`GET /v1/metrics/${name}?drop_id`, async (owner) => {
    const dropId = await drop(owner, {
      offerId: await tier(owner),
      stock: 1,
      startsAt: at("2026-05-02T00:00:00Z"),
    });
    return (key) => api("GET", `/v1/metrics/${name}?${MAY}&drop_id=${dropId}`, { key });
  });
}

describe("authorisation: the unfiltered reports", () => {
  it.each(["conversion", "payments", "upsells"])(
    "/v1/metrics/%s answers 401 without a key or with a wrong one",
    async (name) => {
      expect((await api("GET", `/v1/metrics/${name}?${MAY}`)).status).toBe(401);
      expect((await api("GET", `/v1/metrics/${name}?${MAY}`, { key: "cc_sk_not-a-real-key" })).status).toBe(
        401,
      );
    },
  );
});

describe("hold counters through a direct hold", () => {
  it("counts a hold placed directly once, not again for its replay", async () => {
    const tenant = await createTenant();
    const made = await createDrop(tenant, { stock: 3 });
    const place = () =>
      api("POST", `/v1/drops/${made.id}/holds`, {
        body: { quantity: 1 },
        headers: { "buyer-id": "metrics-direct-buyer", "idempotency-key": "metrics-direct-hold-1" },
      });
    expect((await place()).status).toBe(201);
    expect((await place()).headers.get("idempotent-replayed")).toBe("true");
    for (let i = 0; i < 200 && (await waitingCounts(tenant.creatorId)) === 0; i++) await scheduler.wait(5);
    await flushAllShards(tenant.creatorId);
    const rows = await db
      .select({ kind: exposureCounts.kind, offerId: exposureCounts.offerId, count: exposureCounts.count })
      .from(exposureCounts)
      .where(and(eq(exposureCounts.creatorId, tenant.creatorId), eq(exposureCounts.dropId, made.id)));
    expect(rows).toEqual([{ kind: "hold", offerId: made.offer_id, count: 1 }]);
  });
});

describe("hold counters through checkout and the sweep", () => {
  it("counts a checkout's hold, and counts it expired when the sweep lapses it unpaid", async () => {
    const tenant = await createTenant();
    const buyerId = "metrics-lapsing-buyer";
    const { drop: made, quote: quoted } = await quotedDrop(tenant, buyerId, { stock: 2 });
    const opened = await checkoutVia(
      {
        quote: quoted.token,
        email: "lapse@example.test",
        payment_method: "4000002760003184",
        source: "overlay",
      },
      { buyerId },
    );
    expect(opened.body.status).toBe("requires_action");
    const [row] = await db.select().from(checkouts).where(eq(checkouts.id, opened.body.id));
    const emitted: ProviderEvent[] = [];
    const provider = createSandboxProvider(db, { now: () => Date.now(), emit: (e) => void emitted.push(e) });
    const counted: Promise<unknown>[] = [];
    await sweepCheckouts({
      db,
      inventory: inventoryGateway(env.DROP_INVENTORY, db),
      provider,
      now: (row?.holdExpiresAt ?? 0) + 1000,
      emitted,
      exposures: exposureSink(env.EXPOSURE_COUNTER, (work) => counted.push(work)),
    });
    await Promise.all(counted);
    // The quote's and the checkout's counts travelled after their answers; wait for them, then flush.
    for (let i = 0; i < 200 && (await waitingCounts(tenant.creatorId)) < 3; i++) await scheduler.wait(5);
    await flushAllShards(tenant.creatorId);
    const rows = await db
      .select({
        kind: exposureCounts.kind,
        dropId: exposureCounts.dropId,
        source: exposureCounts.source,
        count: exposureCounts.count,
      })
      .from(exposureCounts)
      .where(and(eq(exposureCounts.creatorId, tenant.creatorId), eq(exposureCounts.dropId, made.id)));
    expect(rows.sort((a, b) => (a.kind < b.kind ? -1 : 1))).toEqual([
      { kind: "hold", dropId: made.id, source: "overlay", count: 1 },
      { kind: "hold_expired", dropId: made.id, source: "overlay", count: 1 },
      // The quote the checkout paid with, counted by the quote route (a browser's: no source).
      { kind: "quote", dropId: made.id, source: "", count: 1 },
    ]);
  });
});
