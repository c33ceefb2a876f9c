/**
 * Subscription rows in real D1 (src/subscriptions/store.ts): access follows the provider's facts to the
 * minute, whatever order they arrive in and however many workers apply them at once.
 */
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { runBatch } from "../../src/db/client";
import { auditEvents, entitlements, members, mrrMovements, subscriptions } from "../../src/db/schema";
import { newId, subscriptionIdFor } from "../../src/lib/ids";
import { accessEnd, reduce, type SubscriptionEvent } from "../../src/subscriptions/access";
import { boundary, monthlyAmount, namedIntervals } from "../../src/subscriptions/intervals";
import { endedByOrderWrites, startSubscription } from "../../src/subscriptions/start";
import { applySubscriptionEvents, DEFAULT_ACCESS_POLICY, stateOf } from "../../src/subscriptions/store";
import { createOffer, membershipTier } from "../support/fixtures";
import { insertMember } from "../support/quotes";
import { createTenant, db } from "../support/tenants";

const WEEK = 7 * 24 * 3600_000;
const anchor = Date.UTC(2027, 0, 4);
const ctx = () => ({ db, now: Date.now(), actor: "provider:sandbox" });

async function weeklySubscription() {
  const tenant = await createTenant();
  const tier = await createOffer(tenant, membershipTier());
  const memberId = await insertMember(tenant, null);
  const id = await startSubscription(ctx(), {
    creatorId: tenant.creatorId,
    memberId,
    offerId: tier.id,
    amount: 300,
    currency: "USD",
    interval: namedIntervals.week,
    anchor,
    periodEnd: anchor + WEEK,
    provider: "sandbox",
  });
  return { tenant, tier, memberId, id };
}

const period = (k: number) => ({ periodStart: anchor + k * WEEK, periodEnd: anchor + (k + 1) * WEEK });
const paid = (k: number, at: number): SubscriptionEvent => ({ type: "invoice_paid", at, ...period(k) });
const snapshot = (k: number, at: number, status: "active" | "past_due" | "canceled"): SubscriptionEvent => ({
  type: "snapshot",
  at,
  status,
  ...period(k),
  cancelAtPeriodEnd: false,
  trialEnd: null,
});

async function tierOf(id: string) {
  const [row] = await db.select().from(entitlements).where(eq(entitlements.sourceId, id));
  return row;
}

describe("subscriptions in D1", () => {
  it("three weekly renewals move the tier's end to each period's end plus the leeway", async () => {
    const { id } = await weeklySubscription();
    for (let k = 0; k < 3; k++) {
      const applied = await applySubscriptionEvents(ctx(), id, [
        paid(k, 10 * k + 1),
        snapshot(k, 10 * k + 2, "active"),
      ]);
      const expected = anchor + (k + 1) * WEEK + DEFAULT_ACCESS_POLICY.renewalLeewayMs;
      expect(applied?.access).toBe(expected);
      expect((await tierOf(id))?.expiresAt).toBe(expected);
    }
  });

  it("two workers applying one renewal's events in opposite orders at once land one state, with an audit row per version", async () => {
    const { id } = await weeklySubscription();
    const events = [paid(0, 1), snapshot(0, 2, "past_due"), paid(1, 3), snapshot(1, 4, "active")];
    await Promise.all([
      applySubscriptionEvents(ctx(), id, events),
      applySubscriptionEvents(ctx(), id, [...events].reverse()),
    ]);
    const [row] = await db.select().from(subscriptions).where(eq(subscriptions.id, id));
    if (row === undefined) throw new Error("no row");
    const expected = events.reduce(reduce, stateOf({ ...row, ...emptyState(row) }));
    expect(stateOf(row).status).toBe(expected.status);
    expect(stateOf(row).periodEnd).toBe(expected.periodEnd);
    expect((await tierOf(id))?.expiresAt).toBe(accessEnd(expected, DEFAULT_ACCESS_POLICY));
    const audits = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.subjectId, id), eq(auditEvents.action, "subscription.updated")));
    expect(audits).toHaveLength(row.version);
  });

  it("a cancellation revokes the tier and bumps the member's token version once; a late invoice.paid never revives it", async () => {
    const { id, memberId } = await weeklySubscription();
    await applySubscriptionEvents(ctx(), id, [paid(0, 1), snapshot(0, 2, "active")]);
    const [before] = await db.select().from(members).where(eq(members.id, memberId));
    await applySubscriptionEvents(ctx(), id, [snapshot(0, 3, "canceled")]);
    await applySubscriptionEvents(ctx(), id, [paid(1, 4), snapshot(1, 5, "active")]);
    const tier = await tierOf(id);
    expect(tier?.revokedAt).not.toBeNull();
    const [after] = await db.select().from(members).where(eq(members.id, memberId));
    expect(after?.tokenVersion).toBe((before?.tokenVersion ?? 0) + 1);
    const [row] = await db.select().from(subscriptions).where(eq(subscriptions.id, id));
    expect(row?.status).toBe("canceled");
  });

  it("repeating events already applied writes nothing", async () => {
    const { id } = await weeklySubscription();
    const events = [paid(0, 1), snapshot(0, 2, "active")];
    await applySubscriptionEvents(ctx(), id, events);
    const [once] = await db.select().from(subscriptions).where(eq(subscriptions.id, id));
    await applySubscriptionEvents(ctx(), id, events);
    const [twice] = await db.select().from(subscriptions).where(eq(subscriptions.id, id));
    expect(twice?.version).toBe(once?.version);
    expect(twice?.updatedAt).toBe(once?.updatedAt);
  });
  it("an order's refund churns exactly the MRR its subscription added, for every cadence", async () => {
    const tenant = await createTenant();
    const tier = await createOffer(tenant, membershipTier());
    const memberId = await insertMember(tenant, null);
    for (const interval of [
      namedIntervals.week,
      namedIntervals.fortnight,
      namedIntervals.month,
      { unit: "month" as const, count: 3 },
      namedIntervals.year,
    ]) {
      const orderId = newId("order");
      const id = await startSubscription(ctx(), {
        id: subscriptionIdFor(orderId),
        creatorId: tenant.creatorId,
        memberId,
        offerId: tier.id,
        amount: 333,
        currency: "USD",
        interval,
        anchor,
        periodEnd: boundary(anchor, interval, 1),
        provider: "sandbox",
        orderId,
      });
      const end = boundary(anchor, interval, 1);
      await applySubscriptionEvents(ctx(), id, [
        { type: "invoice_paid", at: 1, periodStart: anchor, periodEnd: end },
        {
          type: "snapshot",
          at: 2,
          status: "active",
          periodStart: anchor,
          periodEnd: end,
          cancelAtPeriodEnd: false,
          trialEnd: null,
        },
      ]);
      await runBatch(
        db,
        endedByOrderWrites(db, { creatorId: tenant.creatorId, orderId, reason: "refund", now: Date.now() }),
      );
      const movements = await db.select().from(mrrMovements).where(eq(mrrMovements.subscriptionId, id));
      const monthly = Math.round(monthlyAmount(333, interval));
      expect(
        movements.map((m) => [m.kind, m.amount]),
        JSON.stringify(interval),
      ).toEqual([
        ["new", monthly],
        ["churn", -monthly],
      ]);
    }
  });
});

/** The row as it started: what the expected state is computed from. */
const emptyState = (row: { anchor: number }) => ({
  status: "incomplete" as const,
  periodStart: row.anchor,
  periodEnd: row.anchor + WEEK,
  cancelAtPeriodEnd: false,
  trialEnd: null,
  statusKey: null,
  periods: "[]",
  version: 0,
});
