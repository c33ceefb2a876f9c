/**
 * Starting subscriptions: a membership checkout's paid batch starts one (checkout/paid.ts), a pop-up
 * conversion another (convert.ts); and a refunded or charged-back membership order ends the one it
 * started, in the refund's own batch.
 */
import { and, eq, inArray, ne, sql } from "drizzle-orm";
import { auditWrite } from "../audit";
import type { Db, Write } from "../db/client";
import {
  auditEvents,
  type BillingInterval,
  mrrMovements,
  type OrderRow,
  type SubscriptionRow,
  subscriptions,
} from "../db/schema";
import { newId, subscriptionIdFor } from "../lib/ids";
import type { Payment } from "../payments/provider";
import {
  type AccessPolicy,
  accessEnd,
  reduce,
  type SubscriptionEvent,
  type SubscriptionState,
  started,
} from "./access";
import { NO_DUNNING, paidPeriod } from "./billing";
import { entitlementWrites, movementWrites } from "./grants";
import { boundary, type Interval, namedIntervals } from "./intervals";
import { invoiceWrite } from "./invoices";
import { columnsOf, DEFAULT_ACCESS_POLICY, type SubscriptionContext } from "./store";

export interface NewSubscription {
  id?: string;
  creatorId: string;
  memberId: string;
  offerId: string;
  amount: number;
  currency: string;
  interval: Interval;
  anchor: number;
  periodEnd: number;
  provider: string;
  orderId?: string | null;
  paymentMethod?: string | null;
  /** The provider's own subscription (`sub_…` at Stripe), when the provider bills it. */
  providerSubscriptionId?: string | null;
}

/**
 * A new subscription's writes: the row as its first facts leave it (a checkout's paid first period:
 * active), the tier entitlement when that grants access, an MRR movement, and the audit row. For a
 * caller's batch (the checkout's paid batch), so the tier and the subscription land together.
 */
export function startWrites(
  ctx: SubscriptionContext,
  p: NewSubscription,
  events: readonly SubscriptionEvent[],
  policy: AccessPolicy = DEFAULT_ACCESS_POLICY,
): { id: string; writes: Write[]; state: SubscriptionState; access: number | null } {
  const id = p.id ?? newId("subscription");
  const initial = started(p.anchor, p.periodEnd);
  const reduced = events.reduce(reduce, initial);
  const state = reduced === initial ? initial : { ...reduced, version: 1 };
  const row: SubscriptionRow = {
    id,
    creatorId: p.creatorId,
    memberId: p.memberId,
    offerId: p.offerId,
    amount: p.amount,
    currency: p.currency,
    intervalUnit: p.interval.unit,
    intervalCount: p.interval.count,
    anchor: p.anchor,
    provider: p.provider,
    providerSubscriptionId: p.providerSubscriptionId ?? null,
    orderId: p.orderId ?? null,
    paymentMethod: p.paymentMethod ?? null,
    clockOffsetMs: 0,
    lastChangeId: null,
    createdAt: ctx.now,
    ...columnsOf(state, NO_DUNNING, 0, ctx.now, p.provider),
  };
  const access = accessEnd(state, policy);
  const writes: Write[] = [ctx.db.insert(subscriptions).values(row)];
  if (access !== null) writes.push(...entitlementWrites(ctx, row, access));
  writes.push(...movementWrites(ctx, row, initial, state));
  writes.push(
    auditWrite(
      { ...ctx, creatorId: p.creatorId },
      "subscription.started",
      { type: "subscription", id },
      {
        status: state.status,
        order_id: row.orderId,
        access_end: access,
      },
    ),
  );
  return { id, writes, state, access };
}

/** A new subscription on its own (incomplete until facts arrive). */
export async function startSubscription(ctx: SubscriptionContext, p: NewSubscription): Promise<string> {
  const { id, writes } = startWrites(ctx, p, []);
  const [first, ...rest] = writes;
  if (first !== undefined) await ctx.db.batch([first, ...rest]);
  return id;
}

/**
 * A membership order's first period, paid: the subscription it starts (active, renewing with the card
 * that paid), the tier it grants until the period's end plus the renewal leeway, in the same batch.
 * A provider's subscription (Stripe Billing, named by the payment) keeps the provider's own first
 * period, and its snapshot is timed at that period's start, so every event Stripe sends about the
 * subscription afterwards orders after it.
 */
export function membershipStartWrites(
  ctx: Pick<SubscriptionContext, "db" | "now">,
  p: { order: OrderRow; payment: Payment | null; memberId: string; billing: BillingInterval },
): Write[] {
  const { order, payment, memberId, billing } = p;
  const interval = namedIntervals[billing];
  const billed = payment?.subscription ?? null;
  const [start, end] =
    billed === null ? [ctx.now, boundary(ctx.now, interval, 1)] : [billed.periodStart, billed.periodEnd];
  const id = subscriptionIdFor(order.id);
  const amount = Math.round(order.amountTotal / order.quantity);
  const first = {
    creatorId: order.creatorId,
    subscriptionId: id,
    periodIndex: 0,
    periodStart: start,
    periodEnd: end,
    amount,
    currency: order.currency,
    status: "paid" as const,
    paymentId: payment?.id ?? null,
    lastError: null,
    at: start,
  };
  const started = startWrites(
    { ...ctx, actor: "system:checkout" },
    {
      id,
      creatorId: order.creatorId,
      memberId,
      offerId: order.offerId,
      amount,
      currency: order.currency,
      interval,
      anchor: start,
      periodEnd: end,
      provider: order.provider ?? "sandbox",
      orderId: order.id,
      paymentMethod: payment?.paymentMethod ?? null,
      providerSubscriptionId: billed?.id ?? null,
    },
    paidPeriod(start, { periodStart: start, periodEnd: end }),
  );
  return [...started.writes, invoiceWrite(ctx.db, first, ctx.now)];
}

/**
 * A refunded or charged-back membership order ends the subscription it started, in the caller's batch:
 * canceled (terminal in the reducer, so no later fact revives it), nothing left to renew, its MRR churned,
 * audited. The
 * tier entitlement is revoked by the same batch's revocation of the order's grants.
 */
export const endedByOrderWrites = (
  db: Db,
  p: { creatorId: string; orderId: string; reason: string; now: number },
): Write[] => {
  const id = subscriptionIdFor(p.orderId);
  const s = subscriptions;
  // The churn, read before the row moves: only an active or past_due subscription counted as MRR. The
  // month normalisation is intervals.ts `monthlyAmount`, in SQL (a test holds the two to each other).
  const monthly = sql<number>`CAST(ROUND(CASE ${s.intervalUnit}
      WHEN 'week' THEN ${s.amount} * 52.0 / (12 * ${s.intervalCount})
      WHEN 'year' THEN ${s.amount} * 1.0 / (12 * ${s.intervalCount})
      ELSE ${s.amount} * 1.0 / ${s.intervalCount} END) AS INTEGER)`;
  return [
    db.insert(mrrMovements).select(
      db
        .select({
          id: sql<string>`${newId("mrrMovement")}`.as("id"),
          creatorId: s.creatorId,
          subscriptionId: s.id,
          kind: sql<string>`'churn'`.as("kind"),
          amount: sql<number>`-${monthly}`.as("amount"),
          currency: s.currency,
          at: sql<number>`${p.now} + ${s.clockOffsetMs}`.as("at"),
          createdAt: sql<number>`${p.now}`.as("created_at"),
        })
        .from(s)
        .where(and(eq(s.id, id), inArray(s.status, ["active", "past_due"]))),
    ),
    db
      .update(subscriptions)
      .set({
        status: "canceled",
        cancelAtPeriodEnd: false,
        dueAt: null,
        dunningAttempts: 0,
        dunningSince: null,
        version: sql`${subscriptions.version} + 1`,
        updatedAt: p.now,
      })
      .where(and(eq(subscriptions.id, id), ne(subscriptions.status, "canceled"))),
    db.insert(auditEvents).select(
      db
        .select({
          id: sql<string>`${newId("audit")}`.as("id"),
          creatorId: subscriptions.creatorId,
          actor: sql<string>`'system:order'`.as("actor"),
          action: sql<string>`'subscription.updated'`.as("action"),
          subjectType: sql<string>`'subscription'`.as("subject_type"),
          subjectId: subscriptions.id,
          data: sql<string>`${JSON.stringify({ to: { status: "canceled" }, reason: p.reason, order_id: p.orderId })}`.as(
            "data",
          ),
          createdAt: sql<number>`${p.now}`.as("created_at"),
        })
        .from(subscriptions)
        .where(
          and(
            eq(subscriptions.id, id),
            eq(subscriptions.updatedAt, p.now),
            eq(subscriptions.status, "canceled"),
          ),
        ),
    ),
  ];
};
