/**
 * Whole subscription lifecycles in workerd with the sandbox: bought through the real checkout, renewed
 * by advancing the sandbox billing clock through the real route, changed through the member's and the
 * creator's routes. After each step, access is what the policy says on the wall clock: the tier
 * entitlement (what every token is minted from), the member's token version, the invoices.
 */

import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { mrrMovements, sandboxRefunds } from "../../src/db/schema";
import { api } from "../support/api";
import { createOffer, membershipTier } from "../support/fixtures";
import {
  advance,
  change,
  changeMine,
  DAY,
  FAILS,
  holdsTier,
  invoicesOf,
  ladder,
  readSubscription,
  sessionOf,
  subscribe,
  tierOf,
  tiersOf,
  tokenVersionOf,
  VISA,
  WEEK,
} from "../support/subscriptions";
import { createTenant, db } from "../support/tenants";

const LEEWAY = 2 * 3600_000;
const at = (iso: string | null) => (iso === null ? null : Date.parse(iso));

describe("a weekly subscription in the sandbox", () => {
  it("renews 8 times as the clock advances: one paid invoice per period, the tier always a period ahead", async () => {
    const tenant = await createTenant();
    const { id, sub } = await subscribe(tenant);
    expect(sub).toMatchObject({ status: "active", amount: 300, interval: { unit: "week", count: 1 } });
    const firstEnd = at(sub.current_period_end) ?? 0;
    expect(at(sub.access_ends_at)).toBe(firstEnd + LEEWAY);
    for (let k = 1; k <= 8; k++) {
      const ran = await advance(tenant, "P1W");
      expect(ran).toMatchObject({ renewed: 1, failed: 0 });
      const now = await readSubscription(tenant, id);
      expect(now.status).toBe("active");
      // Periods count from the anchor on the subscription's clock; the tier's end is on the wall clock.
      expect(at(now.current_period_end)).toBe(firstEnd + k * WEEK);
      expect(at(now.access_ends_at)).toBe(firstEnd + LEEWAY);
      expect((await tierOf(id))?.expiresAt).toBe(firstEnd + LEEWAY);
    }
    const invoices = await invoicesOf(id);
    expect(invoices).toHaveLength(9);
    expect(invoices.every((i) => i.status === "paid" && i.amount === 300 && i.attempts === 1)).toBe(true);
    const movements = await db.select().from(mrrMovements).where(eq(mrrMovements.subscriptionId, id));
    expect(movements.map((m) => [m.kind, m.amount])).toEqual([["new", 1300]]);
  });

  it("a card that starts failing is retried and recovers inside grace: access is never interrupted", async () => {
    const tenant = await createTenant();
    const { id, memberId, sub } = await subscribe(tenant);
    const version = await tokenVersionOf(memberId);
    expect((await change(tenant, id, { payment_method: FAILS })).status).toBe(200);
    const failed = await advance(tenant, "P1W");
    expect(failed).toMatchObject({ renewed: 0, failed: 1 });
    const pastDue = await readSubscription(tenant, id);
    expect(pastDue).toMatchObject({ status: "past_due", dunning: { failed_attempts: 1 } });
    // Grace: three days from the end of what was paid for, on the wall clock.
    const paidEnd = at(sub.current_period_end) ?? 0;
    expect(at(pastDue.access_ends_at)).toBe(paidEnd + 3 * DAY - WEEK);
    expect(await holdsTier(id)).toBe(true);
    expect(await advance(tenant, "P1D")).toMatchObject({ failed: 1 });
    expect(await holdsTier(id)).toBe(true);
    // The member puts a working card on: the failed invoice is retried with it at once.
    const recovered = await change(tenant, id, { payment_method: VISA });
    expect(recovered.body).toMatchObject({ status: "active", dunning: null });
    expect(await holdsTier(id)).toBe(true);
    expect(await tokenVersionOf(memberId)).toBe(version);
    const invoices = await invoicesOf(id);
    expect(invoices.map((i) => [i.periodIndex, i.status, i.attempts])).toEqual([
      [0, "paid", 1],
      [1, "paid", 3],
    ]);
    expect(await advance(tenant, "P1W")).toMatchObject({ renewed: 1 });
  });

  it("a card that never recovers: access ends at grace end, then the last retry fails and unpaid revokes every token", async () => {
    const tenant = await createTenant();
    const { id, memberId, token } = await subscribe(tenant);
    await change(tenant, id, { payment_method: FAILS });
    await advance(tenant, "P1W");
    expect(await holdsTier(id)).toBe(true);
    const version = await tokenVersionOf(memberId);
    await advance(tenant, "P3DT1H");
    // Past grace: no token minted now lists the tier, though the subscription is still being dunned.
    expect(await holdsTier(id)).toBe(false);
    expect((await readSubscription(tenant, id)).status).toBe("past_due");
    expect(await advance(tenant, "P4D")).toMatchObject({ failed: 2 });
    const unpaid = await readSubscription(tenant, id);
    expect(unpaid).toMatchObject({ status: "unpaid", access_ends_at: null, dunning: null });
    expect((await tierOf(id))?.revokedAt).not.toBeNull();
    expect(await tokenVersionOf(memberId)).toBe((version ?? 0) + 1);
    const introspected = await api("POST", "/v1/entitlements/verify", {
      body: { token, audience: tenant.creatorId },
    });
    expect(introspected.status).toBe(410);
    const invoices = await invoicesOf(id);
    expect(invoices.at(-1)).toMatchObject({ status: "uncollectible", attempts: 5 });
    // Nothing renews an unpaid subscription.
    expect(await advance(tenant, "P2W")).toMatchObject({ renewed: 0, failed: 0 });
  });

  it("cancel at period end keeps access to the paid end; undo restores renewal; at the end nothing is charged", async () => {
    const tenant = await createTenant();
    const { id, token, sub, memberId } = await subscribe(tenant);
    const end = at(sub.current_period_end);
    const cancelled = await changeMine(token, id, { cancel_at_period_end: true });
    expect(cancelled.status).toBe(200);
    // Cancelling at period end takes nothing away yet: the member's token keeps working.
    expect(cancelled.body).toMatchObject({ status: "active", cancel_at_period_end: true });
    expect(at(cancelled.body.access_ends_at)).toBe(end);
    const undone = await changeMine(token, id, { cancel_at_period_end: false });
    expect(at(undone.body.access_ends_at)).toBe((end ?? 0) + LEEWAY);
    await changeMine(token, id, { cancel_at_period_end: true });
    expect(await advance(tenant, "P1W")).toMatchObject({ renewed: 0, ended: 1 });
    // Access ended: tokens minted before it stop verifying, so the member signs in again.
    expect((await changeMine(token, id, { cancel_at_period_end: false })).status).toBe(410);
    const fresh = await sessionOf(tenant, memberId);
    expect(await readSubscription(tenant, id)).toMatchObject({ status: "canceled", access_ends_at: null });
    expect(await holdsTier(id)).toBe(false);
    expect(await invoicesOf(id)).toHaveLength(1);
    // Cancelled is final: it cannot be renewed again.
    expect((await changeMine(fresh, id, { cancel_at_period_end: false })).status).toBe(409);
  });

  it("pause ends access now; resume inside the paid period is free, after it a new period is charged from now", async () => {
    const tenant = await createTenant();
    const { id, token, memberId } = await subscribe(tenant);
    const paused = await changeMine(token, id, { paused: true });
    expect(paused.body).toMatchObject({ status: "paused", access_ends_at: null });
    expect(await holdsTier(id)).toBe(false);
    // Pausing took access away: the old token is refused, a fresh sign-in resumes.
    expect((await changeMine(token, id, { paused: false })).status).toBe(410);
    const resumed = await changeMine(await sessionOf(tenant, memberId), id, { paused: false });
    expect(resumed.body.status).toBe("active");
    expect(await holdsTier(id)).toBe(true);
    expect(await invoicesOf(id)).toHaveLength(1);
    await changeMine(await sessionOf(tenant, memberId), id, { paused: true });
    expect(await advance(tenant, "P2W")).toMatchObject({ renewed: 0, failed: 0 });
    const again = await changeMine(await sessionOf(tenant, memberId), id, { paused: false });
    expect(again.body.status).toBe("active");
    const now = Date.parse(again.body.clock.now);
    expect(at(again.body.current_period_start)).toBeLessThanOrEqual(now);
    expect((at(again.body.current_period_end) ?? 0) - (at(again.body.current_period_start) ?? 0)).toBe(WEEK);
    expect(await invoicesOf(id)).toHaveLength(2);
    expect(await holdsTier(id)).toBe(true);
  });

  it("resuming with a card that declines answers 402 and leaves the subscription paused", async () => {
    const tenant = await createTenant();
    const { id, token, memberId } = await subscribe(tenant);
    await changeMine(token, id, { paused: true });
    await advance(tenant, "P2W");
    const declined = await changeMine(await sessionOf(tenant, memberId), id, {
      paused: false,
      payment_method: FAILS,
    });
    expect(declined.status).toBe(402);
    expect((await readSubscription(tenant, id)).status).toBe("paused");
    expect(await holdsTier(id)).toBe(false);
  });

  it("refunding the membership order cancels the subscription: the tier goes and nothing renews", async () => {
    const tenant = await createTenant();
    const { id, orderId } = await subscribe(tenant);
    const refunded = await api("POST", `/v1/orders/${orderId}/refund`, {
      key: tenant.key,
      body: {},
      headers: { "idempotency-key": crypto.randomUUID() },
    });
    expect(refunded.status).toBe(200);
    expect((await readSubscription(tenant, id)).status).toBe("canceled");
    expect(await holdsTier(id)).toBe(false);
    expect(await advance(tenant, "P2W")).toMatchObject({ renewed: 0 });
    // Its MRR churns, by the same month normalisation as every other movement.
    const movements = await db.select().from(mrrMovements).where(eq(mrrMovements.subscriptionId, id));
    expect(movements.map((m) => [m.kind, m.amount])).toEqual([
      ["new", 1300],
      ["churn", -1300],
    ]);
  });
});

describe("a creator's subscription settings", () => {
  it("set the leeway, the grace and what the last failed retry leaves; out-of-range values are refused", async () => {
    const tenant = await createTenant();
    const put = (body: Record<string, unknown>) =>
      api("PUT", "/v1/subscription-settings", { key: tenant.key, body });
    expect((await api("GET", "/v1/subscription-settings", { key: tenant.key })).body).toMatchObject({
      renewal_leeway_minutes: 120,
      past_due_grace_hours: 72,
      dunning_outcome: "unpaid",
    });
    expect(
      (await put({ renewal_leeway_minutes: 30, past_due_grace_hours: 24, dunning_outcome: "unpaid" })).status,
    ).toBe(422);
    expect(
      (await put({ renewal_leeway_minutes: 60, past_due_grace_hours: 200, dunning_outcome: "unpaid" }))
        .status,
    ).toBe(422);
    const set = await put({
      renewal_leeway_minutes: 60,
      past_due_grace_hours: 24,
      dunning_outcome: "canceled",
    });
    expect(set.status).toBe(200);
    const { id, sub } = await subscribe(tenant);
    const end = at(sub.current_period_end) ?? 0;
    expect(at((await readSubscription(tenant, id)).access_ends_at)).toBe(end + 3600_000);
    await change(tenant, id, { payment_method: FAILS });
    await advance(tenant, "P1W");
    expect(at((await readSubscription(tenant, id)).access_ends_at)).toBe(end + DAY - WEEK);
    await advance(tenant, "P8D");
    expect((await readSubscription(tenant, id)).status).toBe("canceled");
  });
});

describe("downgrade instead of revoking", () => {
  it("a past_due member keeps the creator's lower tier once grace ends, until the last retry; a recovery restores the tier", async () => {
    const tenant = await createTenant();
    const { fan, merch } = await ladder(tenant);
    const settings = {
      renewal_leeway_minutes: 120,
      past_due_grace_hours: 72,
      dunning_outcome: "unpaid",
      past_due_downgrade_offer_id: fan.id,
    };
    expect((await api("PUT", "/v1/subscription-settings", { key: tenant.key, body: settings })).status).toBe(
      200,
    );
    const tierOfMember = async (memberId: string) =>
      (await api("GET", `/v1/members/${memberId}`, { key: tenant.key })).body.tier_offer_id;
    const failing = await subscribe(tenant, merch);
    await change(tenant, failing.id, { payment_method: FAILS });
    await advance(tenant, "P1W");
    expect(await tierOfMember(failing.memberId)).toBe(merch.id);
    await advance(tenant, "P3DT1H");
    // Grace is over: the lower tier, not nothing.
    expect(await tierOfMember(failing.memberId)).toBe(fan.id);
    await advance(tenant, "P4D");
    expect((await readSubscription(tenant, failing.id)).status).toBe("unpaid");
    expect(await tierOfMember(failing.memberId)).toBeNull();

    const recovering = await subscribe(tenant, merch);
    await change(tenant, recovering.id, { payment_method: FAILS });
    await advance(tenant, "P1W");
    await change(tenant, recovering.id, { payment_method: VISA });
    expect(await tiersOf(recovering.id)).toEqual([merch.id]);
  });

  it("refuses a downgrade tier that is not one of the creator's membership tiers", async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const theirs = await createOffer(other, membershipTier({ billing_interval: "week" }));
    const res = await api("PUT", "/v1/subscription-settings", {
      key: tenant.key,
      body: {
        renewal_leeway_minutes: 120,
        past_due_grace_hours: 72,
        dunning_outcome: "unpaid",
        past_due_downgrade_offer_id: theirs.id,
      },
    });
    expect(res.status).toBe(422);
  });
});

describe("refunds of a subscription", () => {
  it("refunding the last renewal's invoice refunds exactly it and ends the subscription at once", async () => {
    const tenant = await createTenant();
    const { id, memberId } = await subscribe(tenant);
    await advance(tenant, "P1W");
    const version = await tokenVersionOf(memberId);
    const res = await api("POST", `/v1/subscriptions/${id}/refund`, { key: tenant.key });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "canceled", access_ends_at: null });
    const invoices = await invoicesOf(id);
    expect(invoices.map((i) => i.status)).toEqual(["paid", "refunded"]);
    const [refund] = await db
      .select()
      .from(sandboxRefunds)
      .where(eq(sandboxRefunds.paymentId, invoices[1]?.paymentId ?? ""));
    expect(refund?.amount).toBe(300);
    expect(await tierOf(id)).toMatchObject({ revokeReason: "refund" });
    expect(await tokenVersionOf(memberId)).toBe((version ?? 0) + 1);
    // A retry refunds nothing more: nothing paid is left.
    expect((await api("POST", `/v1/subscriptions/${id}/refund`, { key: tenant.key })).status).toBe(409);
    expect(
      await db
        .select()
        .from(sandboxRefunds)
        .where(eq(sandboxRefunds.paymentId, invoices[1]?.paymentId ?? "")),
    ).toHaveLength(1);
  });

  it("a renewal its bank disputes at once (a chargeback) ends the subscription: the tier is revoked for it", async () => {
    const tenant = await createTenant();
    const { id, memberId } = await subscribe(tenant);
    await change(tenant, id, { payment_method: "4000000000000259" });
    const version = await tokenVersionOf(memberId);
    expect(await advance(tenant, "P1W")).toMatchObject({ renewed: 1 });
    expect(await readSubscription(tenant, id)).toMatchObject({ status: "canceled", access_ends_at: null });
    expect(await tierOf(id)).toMatchObject({ revokeReason: "chargeback" });
    expect((await invoicesOf(id)).map((i) => i.status)).toEqual(["paid", "refunded"]);
    expect(await tokenVersionOf(memberId)).toBe((version ?? 0) + 1);
    expect(await advance(tenant, "P2W")).toMatchObject({ renewed: 0, failed: 0 });
  });

  it("the first period is the order's: refunding it here points at the order refund", async () => {
    const tenant = await createTenant();
    const { id, orderId } = await subscribe(tenant);
    const res = await api("POST", `/v1/subscriptions/${id}/refund`, { key: tenant.key });
    expect(res.status).toBe(409);
    expect(res.body.detail).toContain(orderId);
    expect((await readSubscription(tenant, id)).status).toBe("active");
  });
});
