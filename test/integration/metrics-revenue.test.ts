/**
 * The subscription and member KPIs against hand-computed answers on fixed datasets (March 2026), each
 * written to D1 under its own creator, so every figure also proves no other creator's rows counted.
 * The expected numbers are worked out in the comments beside them, never by the code under test.
 */
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { ltvGroupsQuery, ltvRevenueQuery } from "../../src/metrics/revenue-ltv";
import { enrolmentsQuery, retentionQuery } from "../../src/metrics/revenue-members";
import { memberMrrQuery, otherCurrencyQuery } from "../../src/metrics/revenue-sql";
import { invoiceQuery, trialQuery } from "../../src/metrics/revenue-subscriptions";
import { api, type Json } from "../support/api";
import { checkout } from "../support/checkouts";
import { createOffer } from "../support/fixtures";
import { posDevice, posItem, syncItems } from "../support/pos";
import { buyer, quote } from "../support/quotes";
import {
  breakdownOf,
  DAY,
  entitlement,
  invoice,
  member,
  metric,
  moves,
  on,
  order,
  seriesOf,
  subscription,
  tier,
} from "../support/revenue";
import { advance, change, FAILS, subscribe, VISA } from "../support/subscriptions";
import { createTenant, db, type Tenant } from "../support/tenants";

const MARCH = "from=2026-03-01&to=2026-04-01";

/**
 * A month of subscriptions with every movement. Opening MRR (1 March): A 1000 + B 2000 + C 500 +
 * G 700 + 400 + J 1000 = 5600, five paying members. In March, per member:
 *   03 D yearly 12000 → new +1000      05 A tier up 1000 → 1500: expansion +500
 *   07 E weekly 300 → new +1300        08 F fortnightly 600 → new +1300
 *   10 B tier down 2000 → 1200: contraction −800
 *   12 H new +900                      15 C cancels: churn −500
 *   18 J switches 1000 → 1500 at one instant (a churn and a new per subscription): expansion +500
 *   20 G cancels one of two subscriptions: contraction −400, not churn
 *   25 C subscribes again: reactivation +500 (a `new` per subscription)
 *   28 H cancels: churn −900
 * New 4500, expansion 1000, contraction −1200, churn −1400, reactivation 500: net +3400, closing 9000
 * over eight paying members (all but H). After March: B churns at exactly 1 April 00:00 (`to` is
 * exclusive) and D is refunded on 10 April (a refund after the period rewrites no March MRR). I pays
 * in EUR: left out of every USD figure.
 */
async function mrrWorld(tenant: Tenant) {
  const offer = await tier(tenant, { kind: "membership" });
  const sub = async (
    joined: number,
    amount: number,
    interval?: { unit: "week" | "month" | "year"; count: number },
    currency?: string,
  ) => {
    const memberId = await member(tenant, { joinedAt: joined });
    return {
      memberId,
      ...(await subscription(tenant, {
        memberId,
        offerId: offer,
        amount,
        interval,
        anchor: joined,
        currency,
      })),
    };
  };
  const a = await sub(on("02-10"), 1000);
  await moves(tenant, a, [
    ["new", 1000, on("02-10")],
    ["expansion", 500, on("03-05")],
  ]);
  const b = await sub(on("02-01"), 2000);
  await moves(tenant, b, [
    ["new", 2000, on("02-01")],
    ["contraction", -800, on("03-10")],
    ["churn", -1200, on("04-01", 0)],
  ]);
  const c = await sub(on("02-01"), 500);
  await moves(tenant, c, [
    ["new", 500, on("02-01")],
    ["churn", -500, on("03-15")],
  ]);
  const c2 = {
    ...(await subscription(tenant, {
      memberId: c.memberId,
      offerId: offer,
      amount: 500,
      anchor: on("03-25"),
    })),
  };
  await moves(tenant, c2, [["new", 500, on("03-25")]]);
  const d = await sub(on("03-03"), 12000, { unit: "year", count: 1 });
  const e = await sub(on("03-07"), 300, { unit: "week", count: 1 });
  const f = await sub(on("03-08"), 600, { unit: "week", count: 2 });
  // The normalisation is the subscription code's own (intervals.ts), held to the hand figures here.
  expect([d.monthly, e.monthly, f.monthly]).toEqual([1000, 1300, 1300]);
  await moves(tenant, d, [
    ["new", d.monthly, on("03-03")],
    ["churn", -d.monthly, on("04-10")],
  ]);
  await moves(tenant, e, [["new", e.monthly, on("03-07")]]);
  await moves(tenant, f, [["new", f.monthly, on("03-08")]]);
  const g = await sub(on("02-01"), 700);
  const g2 = await subscription(tenant, {
    memberId: g.memberId,
    offerId: offer,
    amount: 400,
    anchor: on("02-15"),
  });
  await moves(tenant, g, [["new", 700, on("02-01")]]);
  await moves(tenant, g2, [
    ["new", 400, on("02-15")],
    ["churn", -400, on("03-20")],
  ]);
  const h = await sub(on("03-12"), 900);
  await moves(tenant, h, [
    ["new", 900, on("03-12")],
    ["churn", -900, on("03-28")],
  ]);
  const j = await sub(on("02-01"), 1000);
  const j2 = await subscription(tenant, {
    memberId: j.memberId,
    offerId: offer,
    amount: 1500,
    anchor: on("03-18"),
  });
  await moves(tenant, j, [
    ["new", 1000, on("02-01")],
    ["churn", -1000, on("03-18")],
  ]);
  await moves(tenant, j2, [["new", 1500, on("03-18")]]);
  const i = await sub(on("03-02"), 800, undefined, "EUR");
  await moves(tenant, i, [["new", 800, on("03-02")]]);
}

describe("GET /v1/metrics/mrr", () => {
  let tenant: Tenant;
  beforeAll(async () => {
    tenant = await createTenant();
    await mrrWorld(tenant);
    // Another creator's month, in the same currency and days: none of it may show above.
    await mrrWorld(await createTenant());
  });

  it("classifies movements per member: two subscriptions cancelling one is contraction, a switch is expansion", async () => {
    const res = await metric(tenant, "mrr", MARCH);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ object: "metric", metric: "mrr", currency: "USD" });
    expect(res.body.from).toBe("2026-03-01T00:00:00.000Z");
    expect(res.body.to).toBe("2026-04-01T00:00:00.000Z");
    expect(res.body.summary).toEqual({
      opening_mrr: 5600,
      closing_mrr: 9000,
      net_new_mrr: 3400,
      new_mrr: 4500,
      expansion_mrr: 1000,
      contraction_mrr: -1200,
      churned_mrr: -1400,
      reactivation_mrr: 500,
      opening_subscribers: 5,
      closing_subscribers: 8,
      excluded_other_currency: 1,
    });
    expect(breakdownOf(res.body, "movements")).toEqual({
      new: { amount: 4500, movements: 4 },
      expansion: { amount: 1000, movements: 2 },
      contraction: { amount: -1200, movements: 2 },
      churn: { amount: -1400, movements: 2 },
      reactivation: { amount: 500, movements: 1 },
    });
  });

  it("answers MRR at the end of every day of the range, and each kind's movement on its day", async () => {
    const res = await metric(tenant, "mrr", MARCH);
    const mrr = seriesOf(res.body, "mrr");
    expect(Object.keys(mrr)).toHaveLength(31);
    // 5600; +1000 (3rd) +500 (5th) +1300 (7th) +1300 (8th) −800 (10th) +900 (12th) −500 (15th) = 9300
    expect([mrr["2026-03-01"], mrr["2026-03-02"], mrr["2026-03-03"], mrr["2026-03-15"]]).toEqual([
      5600, 5600, 6600, 9300,
    ]);
    // +500 (18th) = 9800; −400 (20th) = 9400; +500 (25th) = 9900; −900 (28th) = 9000
    expect([
      mrr["2026-03-18"],
      mrr["2026-03-20"],
      mrr["2026-03-25"],
      mrr["2026-03-28"],
      mrr["2026-03-31"],
    ]).toEqual([9800, 9400, 9900, 9000, 9000]);
    expect(seriesOf(res.body, "churn")["2026-03-20"]).toBe(0);
    expect(seriesOf(res.body, "contraction")["2026-03-20"]).toBe(-400);
    expect(seriesOf(res.body, "expansion")["2026-03-18"]).toBe(500);
    expect(seriesOf(res.body, "new")["2026-03-18"]).toBe(0);
    expect(seriesOf(res.body, "reactivation")["2026-03-25"]).toBe(500);
  });

  it("counts a movement at exactly `to` in the next range, not this one", async () => {
    const april = await metric(tenant, "mrr", "from=2026-04-01&to=2026-04-02");
    // B churns 1200 at 00:00 on 1 April: March closed at 9000, 1 April opens at 9000 and closes at 7800.
    expect(april.body.summary).toMatchObject({ opening_mrr: 9000, closing_mrr: 7800, churned_mrr: -1200 });
  });

  it("answers money in the currency asked for, leaving the others out", async () => {
    const eur = await metric(tenant, "mrr", `${MARCH}&currency=EUR`);
    expect(eur.body).toMatchObject({ currency: "EUR" });
    // Only I (800 EUR, new on 2 March); the twelve USD subscriptions are the excluded ones now.
    expect(eur.body.summary).toMatchObject({
      opening_mrr: 0,
      closing_mrr: 800,
      new_mrr: 800,
      excluded_other_currency: 12,
    });
  });
});

describe("GET /v1/metrics/subscriptions", () => {
  it("answers Stripe's subscriber churn rate, revenue churn and ARPU from the member-level movements", async () => {
    const tenant = await createTenant();
    await mrrWorld(tenant);
    const res = await metric(tenant, "subscriptions", MARCH);
    expect(res.status).toBe(200);
    expect(res.body.summary).toMatchObject({
      // C and H churned; five paying at the start plus four new (D, E, F, H): 2 ÷ 9.
      churned_subscribers: 2,
      opening_subscribers: 5,
      new_subscribers: 4,
      subscriber_churn_rate: 2 / 9,
      // churn 1400 + contraction 1200 over the opening 5600.
      churned_revenue: 2600,
      revenue_churn_rate: 2600 / 5600,
      // 9000 over eight paying members.
      arpu: 1125,
      closing_mrr: 9000,
    });
  });

  /**
   * Renewal invoices first billed in March (USD): a paid one (1500), B's two recovered after failing
   * (3 and 2 attempts, 1200 each), K's never paid (5 attempts, uncollectible, 700 for 30 days), C's
   * still being retried (open after 1 attempt), and D's yearly 12000 paid then refunded in April. Left
   * out: a checkout's first period (its order's payment), a EUR invoice, one billed in February.
   */
  it("answers dunning recovery per subscription, retry success per invoice, grace given away and refunds", async () => {
    const tenant = await createTenant();
    const offer = await tier(tenant, { kind: "membership" });
    const sub = async (amount: number, currency = "USD", anchor = on("02-01")) =>
      subscription(tenant, {
        memberId: await member(tenant, { joinedAt: anchor }),
        offerId: offer,
        amount,
        anchor,
        currency,
      });
    const [a, b, k, c, d, eur] = [
      await sub(1500),
      await sub(1200),
      await sub(700),
      await sub(500),
      await sub(12000),
      await sub(800, "EUR"),
    ];
    await invoice(tenant, a, { createdAt: on("03-10"), amount: 1500, status: "paid", attempts: 1 });
    await invoice(tenant, b, { createdAt: on("03-01"), amount: 1200, status: "paid", attempts: 3 });
    await invoice(tenant, b, { createdAt: on("03-29"), amount: 1200, status: "paid", attempts: 2 });
    await invoice(tenant, k, {
      createdAt: on("03-01", 0),
      periodEnd: on("03-31", 0),
      amount: 700,
      status: "uncollectible",
      attempts: 5,
    });
    await invoice(tenant, c, { createdAt: on("03-30"), amount: 500, status: "open", attempts: 1 });
    await invoice(tenant, d, { createdAt: on("03-15"), amount: 12000, status: "refunded", attempts: 1 });
    await invoice(tenant, eur, { createdAt: on("03-15"), amount: 800, status: "uncollectible", attempts: 5 });
    await invoice(tenant, a, { createdAt: on("02-10"), amount: 1500, status: "uncollectible", attempts: 5 });
    const started = await subscription(tenant, {
      memberId: await member(tenant, { joinedAt: on("03-05") }),
      offerId: offer,
      amount: 900,
      anchor: on("03-05"),
    });
    await invoice(tenant, started, {
      createdAt: on("03-05"),
      amount: 900,
      status: "paid",
      attempts: 1,
      periodIndex: 0,
    });

    const res = await metric(tenant, "subscriptions", MARCH);
    expect(res.body.summary).toMatchObject({
      // B (recovered), K, C: three subscriptions dunned, one recovered.
      dunned_subscriptions: 3,
      recovered_subscriptions: 1,
      dunning_recovery_rate: 1 / 3,
      // B's two, K's, C's: four renewals failed first, two paid in the end.
      failed_renewals: 4,
      recovered_renewals: 2,
      retry_success_rate: 0.5,
      // K kept 3 days of grace of a 30-day period of 700: 70. C is still being retried: nothing yet.
      grace_given_away: 70,
      // 1500 + 1200 + 1200 + 12000 billed; D's 12000 refunded.
      renewal_revenue: 15900,
      refunded_revenue: 12000,
      net_renewal_revenue: 3900,
    });
  });

  /**
   * Trials ending in March: T1 converted from a pop-up till (no order; its trial ends at its anchor)
   * and paid; T2 the same, never paid; T3 a provider trial (trial_end) paid from its end. T4's trial
   * ends in April; a checkout's subscription is no trial.
   */
  it("answers trial conversion over the trials that ended in the range", async () => {
    const tenant = await createTenant();
    const offer = await tier(tenant, { kind: "membership" });
    const trial = async (ends: number, p: { orderId?: null; trialEnd?: number } = {}) =>
      subscription(tenant, {
        memberId: await member(tenant, { joinedAt: ends - 10 * DAY }),
        offerId: offer,
        amount: 300,
        anchor: ends,
        ...p,
      });
    const t1 = await trial(on("03-12"), { orderId: null });
    await invoice(tenant, t1, {
      createdAt: on("03-12"),
      periodStart: on("03-12"),
      amount: 300,
      status: "paid",
      attempts: 1,
      periodIndex: 0,
    });
    const t2 = await trial(on("03-20"), { orderId: null });
    await invoice(tenant, t2, {
      createdAt: on("03-20"),
      periodStart: on("03-20"),
      amount: 300,
      status: "uncollectible",
      attempts: 5,
      periodIndex: 0,
    });
    const t3 = await trial(on("03-01"), { trialEnd: on("03-22") });
    await invoice(tenant, t3, {
      createdAt: on("03-22"),
      periodStart: on("03-22"),
      amount: 300,
      status: "paid",
      attempts: 1,
    });
    await trial(on("04-05"), { orderId: null });
    await trial(on("03-09"));
    const res = await metric(tenant, "subscriptions", MARCH);
    expect(res.body.summary).toMatchObject({
      trials_ended: 3,
      trials_converted: 2,
      trial_conversion_rate: 2 / 3,
    });
    const daily = seriesOf(res.body, "trial_conversion_rate");
    expect([daily["2026-03-12"], daily["2026-03-20"], daily["2026-03-22"], daily["2026-03-13"]]).toEqual([
      1,
      0,
      1,
      null,
    ]);
  });

  it("gives the figures the real subscription verbs write: a failed renewal recovered, a renewal refunded", async () => {
    const tenant = await createTenant();
    const { id } = await subscribe(tenant);
    expect((await change(tenant, id, { payment_method: FAILS })).status).toBe(200);
    expect(await advance(tenant, "P1W")).toMatchObject({ failed: 1 });
    expect((await change(tenant, id, { payment_method: VISA })).body).toMatchObject({ status: "active" });
    expect(await advance(tenant, "P1W")).toMatchObject({ renewed: 1 });
    const refunded = await api("POST", `/v1/subscriptions/${id}/refund`, {
      key: tenant.key,
      headers: { "idempotency-key": crypto.randomUUID() },
    });
    expect(refunded.status, JSON.stringify(refunded.body)).toBe(200);
    const range = `from=${new Date(Date.now() - DAY).toISOString()}&to=${new Date(Date.now() + 30 * DAY).toISOString()}`;
    const subs = await metric(tenant, "subscriptions", range);
    // Weekly 300 is 1300 a month: new at checkout, churned by the refund (canceled at once).
    expect(subs.body.summary).toMatchObject({
      new_subscribers: 1,
      churned_subscribers: 1,
      subscriber_churn_rate: 1,
      failed_renewals: 1,
      recovered_renewals: 1,
      retry_success_rate: 1,
      dunning_recovery_rate: 1,
      // Two renewals of 300 billed (the first period is the checkout's order), the second refunded.
      renewal_revenue: 600,
      refunded_revenue: 300,
      net_renewal_revenue: 300,
      closing_mrr: 0,
    });
    const mrr = await metric(tenant, "mrr", range);
    expect(mrr.body.summary).toMatchObject({ new_mrr: 1300, churned_mrr: -1300, closing_mrr: 0 });
  });
});

/**
 * Members joining in March, for retention, LTV and enrolments (all 90 days old by now):
 *   m1 founding, link, 1 Mar: lifetime access            m2 utility, overlay, 2 Mar: access for 20 days
 *   m3 utility, api, 3 Mar: access revoked after 5 days  m4 pop-up (pos:), 4 Mar: access from day 10 on
 *   m5 seasonal, link, 5 Mar: no access                  m6 founding though enrolled at a pop-up, 6 Mar
 * Outside the range: one joined 28 Feb, one at exactly 1 April 00:00.
 */
async function memberWorld(tenant: Tenant) {
  const oneTime = await tier(tenant);
  const shipped = await tier(tenant, { requiresShipping: true });
  const bundle = await tier(tenant, { kind: "bundle" });
  const membership = await tier(tenant, { kind: "membership" });
  const m1 = await member(tenant, { joinedAt: on("03-01"), cohort: "founding", source: "link" });
  const m2 = await member(tenant, { joinedAt: on("03-02"), source: "overlay" });
  const m3 = await member(tenant, { joinedAt: on("03-03"), source: "api" });
  const m4 = await member(tenant, { joinedAt: on("03-04"), source: "pos:Spring fair" });
  await member(tenant, { joinedAt: on("03-05"), cohort: "seasonal", source: "link" });
  const m6 = await member(tenant, { joinedAt: on("03-06"), cohort: "founding", source: "pos:Spring fair" });
  await member(tenant, { joinedAt: on("02-28"), source: "link" });
  await member(tenant, { joinedAt: on("04-01", 0), source: "pos:Late" });
  await entitlement(tenant, { memberId: m1, grantedAt: on("03-01") });
  await entitlement(tenant, { memberId: m2, grantedAt: on("03-02"), expiresAt: on("03-22") });
  await entitlement(tenant, { memberId: m3, grantedAt: on("03-03"), revokedAt: on("03-08") });
  await entitlement(tenant, { memberId: m4, grantedAt: on("03-14") });
  await entitlement(tenant, { memberId: m6, grantedAt: on("03-06") });
  // LTV: m1 2000 + a till sale 1000 (digital) and 3000 shipped by a micro-hub; 5000 after 90 days.
  await order(tenant, { memberId: m1, offerId: oneTime, amount: 2000, paidAt: on("03-01") });
  await order(tenant, { memberId: m1, offerId: oneTime, amount: 1000, paidAt: on("03-15"), source: "pos" });
  await order(tenant, {
    memberId: m1,
    offerId: shipped,
    amount: 3000,
    paidAt: on("03-10"),
    path: "micro_hub",
  });
  await order(tenant, { memberId: m1, offerId: oneTime, amount: 5000, paidAt: on("07-01") });
  // m2's bundle was refunded (0); m3 paid in EUR (left out); m4 bought online after the pop-up.
  await order(tenant, {
    memberId: m2,
    offerId: bundle,
    amount: 1500,
    paidAt: on("03-02"),
    status: "refunded",
  });
  await order(tenant, { memberId: m3, offerId: oneTime, amount: 999, paidAt: on("03-03"), currency: "EUR" });
  await order(tenant, { memberId: m4, offerId: oneTime, amount: 800, paidAt: on("03-20"), source: "link" });
  // m6: a membership order 1300, its first period's invoice (the order's payment, not counted again),
  // a renewal paid 1300 and one paid then refunded.
  await order(tenant, {
    memberId: m6,
    offerId: membership,
    amount: 1300,
    paidAt: on("03-06"),
    source: "pos",
  });
  const sub = await subscription(tenant, {
    memberId: m6,
    offerId: membership,
    amount: 1300,
    anchor: on("03-06"),
  });
  await invoice(tenant, sub, {
    createdAt: on("03-06"),
    amount: 1300,
    status: "paid",
    attempts: 1,
    periodIndex: 0,
  });
  await invoice(tenant, sub, { createdAt: on("03-13"), amount: 1300, status: "paid", attempts: 1 });
  await invoice(tenant, sub, { createdAt: on("03-20"), amount: 1300, status: "refunded", attempts: 1 });
}

describe("GET /v1/metrics/retention, /ltv and /enrolments", () => {
  let tenant: Tenant;
  beforeAll(async () => {
    tenant = await createTenant();
    await memberWorld(tenant);
    await memberWorld(await createTenant());
  });

  it("answers retention at 7, 30 and 90 days per join cohort, founding before pop-up", async () => {
    const res = await metric(tenant, "retention", "from=2026-03-01&to=2026-04-01");
    expect(res.status).toBe(200);
    const rows = breakdownOf(res.body, "retention_by_cohort");
    expect(Object.keys(rows)).toEqual(["founding", "seasonal", "utility", "pop-up"]);
    // m1 and m6 hold lifetime access; m2 until day 20; m3 lost it on day 5; m4 from day 10; m5 none.
    expect(rows.founding).toMatchObject({
      members: 2,
      retained_7d: 2,
      retained_30d: 2,
      retained_90d: 2,
      retention_90d: 1,
    });
    expect(rows.utility).toMatchObject({
      members: 2,
      retained_7d: 1,
      retained_30d: 0,
      retention_7d: 0.5,
      retention_30d: 0,
    });
    expect(rows["pop-up"]).toMatchObject({ members: 1, retained_7d: 0, retained_30d: 1, retained_90d: 1 });
    expect(rows.seasonal).toMatchObject({ members: 1, retained_7d: 0, retention_90d: 0 });
    expect(res.body.summary).toMatchObject({
      members: 6,
      retention_7d: 0.5,
      retention_30d: 0.5,
      retention_90d: 0.5,
    });
  });

  it("answers null, not 0, for days a cohort has not reached yet", async () => {
    const fresh = await createTenant();
    const joinedAt = Date.now() - 10 * DAY;
    const m = await member(fresh, { joinedAt, source: "link" });
    await entitlement(fresh, { memberId: m, grantedAt: joinedAt });
    const range = `from=${new Date(joinedAt - DAY).toISOString()}&to=${new Date(Date.now() + DAY).toISOString()}`;
    const res = await metric(fresh, "retention", range);
    expect(res.body.summary).toMatchObject({
      members: 1,
      reached_7d: 1,
      retention_7d: 1,
      reached_30d: 0,
      retention_30d: null,
      retention_90d: null,
    });
  });

  it("answers 90-day LTV per cohort × source, and split by product family × fulfilment path", async () => {
    const res = await metric(tenant, "ltv", "from=2026-03-01&to=2026-04-01");
    expect(res.status).toBe(200);
    // 3000 + 3000 (m1) + 2600 (m6) + 0 (m2) + 800 (m4) = 9400 over six members: 1566.67.
    expect(res.body.summary).toEqual({ members: 6, incomplete_members: 0, revenue_90d: 9400, ltv_90d: 1567 });
    expect(breakdownOf(res.body, "ltv_by_cohort_source_family_path")).toEqual({
      "founding/link/one_time/digital": {
        members: 1,
        incomplete_members: 0,
        buyers: 1,
        revenue_90d: 3000,
        ltv_90d: 3000,
      },
      "founding/link/one_time/micro_hub": {
        members: 1,
        incomplete_members: 0,
        buyers: 1,
        revenue_90d: 3000,
        ltv_90d: 3000,
      },
      "founding/pos/membership/digital": {
        members: 1,
        incomplete_members: 0,
        buyers: 1,
        revenue_90d: 2600,
        ltv_90d: 2600,
      },
      "pop-up/pos/one_time/digital": {
        members: 1,
        incomplete_members: 0,
        buyers: 1,
        revenue_90d: 800,
        ltv_90d: 800,
      },
      "utility/overlay/bundle/digital": {
        members: 1,
        incomplete_members: 0,
        buyers: 1,
        revenue_90d: 0,
        ltv_90d: 0,
      },
    });
    const groups = breakdownOf(res.body, "ltv_by_cohort_source");
    expect(groups["founding/link"]).toMatchObject({ members: 1, ltv_90d: 6000 });
    expect(groups["utility/api"]).toMatchObject({ members: 1, revenue_90d: 0, ltv_90d: 0 });
    expect(groups["seasonal/link"]).toMatchObject({ members: 1, ltv_90d: 0 });
  });

  it("flags members younger than 90 days as incomplete", async () => {
    const fresh = await createTenant();
    await member(fresh, { joinedAt: Date.now() - 10 * DAY, source: "overlay" });
    const range = `from=${new Date(Date.now() - 20 * DAY).toISOString()}&to=${new Date(Date.now() + DAY).toISOString()}`;
    const res = await metric(fresh, "ltv", range);
    expect(res.body.summary).toMatchObject({ members: 1, incomplete_members: 1, revenue_90d: 0, ltv_90d: 0 });
  });

  it("counts a person enrolled at a pop-up and online once, as both", async () => {
    const res = await metric(tenant, "enrolments", "from=2026-03-01&to=2026-04-01");
    expect(res.status).toBe(200);
    // Six members. At a pop-up: m4, m6 (enrolled there) and m1 (bought at its till). Online: m1, m2,
    // m3, m5 (enrolled online) and m4 (bought online later). Both: m1 and m4.
    expect(res.body.summary).toEqual({
      enrolments: 6,
      pos: 3,
      online: 5,
      both: 2,
      pos_only: 1,
      online_only: 3,
    });
    expect(breakdownOf(res.body, "enrolments_by_source")).toEqual({
      link: { members: 2 },
      overlay: { members: 1 },
      api: { members: 1 },
      pos: { members: 2 },
    });
    const pos = seriesOf(res.body, "pos");
    expect([pos["2026-03-04"], pos["2026-03-05"], pos["2026-03-06"]]).toEqual([1, 0, 1]);
  });
});

describe("enrolments through the real pop-up sync and checkout", () => {
  it("counts a person synced twice from a pop-up and then buying online once, as both", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const device = await posDevice(tenant);
    const email = `fan-${crypto.randomUUID()}@example.test`;
    // Two batches from the stall carry the same buyer: the second finds the member the first enrolled.
    for (let i = 0; i < 2; i++) {
      const synced = await syncItems(device, [posItem(offer.id, { email })]);
      expect(synced.status, JSON.stringify(synced.body)).toBe(200);
    }
    const buyerId = crypto.randomUUID();
    const quoted = await quote({ offer_id: offer.id }, buyer(buyerId));
    const paid = await checkout({ quote: quoted.body.token, email, payment_method: VISA }, { buyerId });
    expect(paid.body.status).toBe("paid");
    const range = `from=${new Date(Date.now() - DAY).toISOString()}&to=${new Date(Date.now() + DAY).toISOString()}`;
    const res = await metric(tenant, "enrolments", range);
    expect(res.body.summary).toEqual({
      enrolments: 1,
      pos: 1,
      online: 1,
      both: 1,
      pos_only: 0,
      online_only: 0,
    });
    expect(breakdownOf(res.body, "enrolments_by_source").pos).toEqual({ members: 1 });
  });
});

describe("metric ranges", () => {
  it.each([
    ["`to` before `from`", "from=2026-03-02&to=2026-03-01"],
    ["an empty range", "from=2026-03-01&to=2026-03-01"],
    ["more than 400 days", "from=2025-01-01&to=2026-03-01"],
    ["a date that is not one", "from=2026-13-01&to=2026-03-01"],
    ["no `to`", "from=2026-03-01"],
    ["a lower-case currency", "from=2026-03-01&to=2026-04-01&currency=usd"],
    ["an unknown parameter", "from=2026-03-01&to=2026-04-01&cohort=founding"],
  ])("answers 422 for %s", async (_, query) => {
    const tenant = await createTenant();
    for (const name of ["mrr", "subscriptions", "ltv"]) {
      const res: Json = await metric(tenant, name, query);
      expect(res.status, `${name}: ${JSON.stringify(res.body)}`).toBe(422);
    }
  });

  it("refuses a currency on the reports that have no money", async () => {
    const tenant = await createTenant();
    for (const name of ["retention", "enrolments"]) {
      expect((await metric(tenant, name, `${MARCH}&currency=USD`)).status).toBe(422);
    }
  });
});

/** Tables whose rows belong to creators: each must be reached through an index, never scanned. */
const TABLE =
  /^(SCAN|SEARCH) (m|s|i|e|o|f|members|orders|subscriptions|subscription_invoices|mrr_movements|entitlements|offers|creators) /;

describe("query plans", () => {
  const range = { from: on("03-01"), to: on("04-01"), days: [] };
  const now = Date.now();
  it.each([
    ["member-level MRR", memberMrrQuery("c", range, "USD")],
    ["other currencies", otherCurrencyQuery("c", range, "USD")],
    ["invoices", invoiceQuery("c", range, "USD")],
    ["trials", trialQuery("c", range)],
    ["retention", retentionQuery("c", range, now)],
    ["enrolments", enrolmentsQuery("c", range)],
    ["LTV groups", ltvGroupsQuery("c", range, now)],
    ["LTV revenue", ltvRevenueQuery("c", range, "USD")],
  ])(
    "%s: starts from the creator's index range and reaches every other row by its own key",
    async (_, query) => {
      const plan = (await db.all<{ detail: string }>(sql`EXPLAIN QUERY PLAN ${query}`)).map((p) => p.detail);
      const reads = plan.filter((line) => TABLE.test(line));
      expect(reads.length).toBeGreaterThan(0);
      for (const line of reads) expect(line).toMatch(/^SEARCH \S+ USING (COVERING )?INDEX /);
      expect(reads[0]).toMatch(/\(creator_id=\?/);
      // A member's orders are found by the member, not by walking the creator's paid orders per member.
      for (const line of reads.filter((l) => l.startsWith("SEARCH o ")))
        expect(line).toMatch(/orders_member_idx/);
    },
  );
});
