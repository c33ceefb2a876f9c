/**
 * Subscription rows in D1, folded through the access reducer (access.ts). Each change is one batch
 * guarded on the version it read: the row's new state, the tier entitlement moved to the new access
 * end (revoked when there is none, and the member's token version bumped so older tokens stop
 * verifying), and an audit row. Two workers applying events at once never lose one: the loser re-reads
 * and applies its events to the winner's state, and the reducer makes the order irrelevant.
 *
 * Not wired to a provider or a route yet (issue 15): the Stripe and sandbox event paths will call
 * applySubscriptionEvents.
 */
import { and, eq, sql } from "drizzle-orm";
import { auditWrite } from "../audit";
import { type Db, expectOneChange, type Write } from "../db/client";
import { entitlements, members, type SubscriptionRow, subscriptions } from "../db/schema";
import { newId } from "../lib/ids";
import {
  type AccessPolicy,
  accessEnd,
  type Period,
  reduce,
  type SubscriptionEvent,
  type SubscriptionState,
  started,
} from "./access";
import type { Interval } from "./intervals";

/** The default policy: a 2-hour renewal leeway, 3 days of grace, dunning over 7 days. */
export const DEFAULT_ACCESS_POLICY: AccessPolicy = {
  renewalLeewayMs: 2 * 3600_000,
  graceMs: 3 * 24 * 3600_000,
  dunningMs: 7 * 24 * 3600_000,
};

export interface SubscriptionContext {
  db: Db;
  now: number;
  actor: string;
}

export function stateOf(row: SubscriptionRow): SubscriptionState {
  return {
    status: row.status,
    periodStart: row.periodStart,
    periodEnd: row.periodEnd,
    cancelAtPeriodEnd: row.cancelAtPeriodEnd,
    trialEnd: row.trialEnd,
    statusKey: row.statusKey === null ? null : (JSON.parse(row.statusKey) as number[]),
    periods: JSON.parse(row.periods) as Period[],
    version: row.version,
  };
}

const columnsOf = (s: SubscriptionState, now: number) => ({
  status: s.status,
  periodStart: s.periodStart,
  periodEnd: s.periodEnd,
  cancelAtPeriodEnd: s.cancelAtPeriodEnd,
  trialEnd: s.trialEnd,
  statusKey: s.statusKey === null ? null : JSON.stringify(s.statusKey),
  periods: JSON.stringify(s.periods),
  version: s.version,
  updatedAt: now,
});

/** A new subscription, incomplete until its first payment lands. */
export async function startSubscription(
  ctx: SubscriptionContext,
  p: {
    creatorId: string;
    memberId: string;
    offerId: string;
    amount: number;
    currency: string;
    interval: Interval;
    anchor: number;
    periodEnd: number;
    provider: string;
  },
): Promise<string> {
  const id = newId("subscription");
  const state = started(p.anchor, p.periodEnd);
  await ctx.db.batch([
    ctx.db.insert(subscriptions).values({
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
      providerSubscriptionId: null,
      createdAt: ctx.now,
      ...columnsOf(state, ctx.now),
    }),
    auditWrite(
      { ...ctx, creatorId: p.creatorId },
      "subscription.started",
      { type: "subscription", id },
      {
        status: state.status,
      },
    ),
  ]);
  return id;
}

const MAX_ATTEMPTS = 5;

/** Applies provider facts to a subscription; answers its state and access end, or undefined if none. */
export async function applySubscriptionEvents(
  ctx: SubscriptionContext,
  id: string,
  events: readonly SubscriptionEvent[],
  policy: AccessPolicy = DEFAULT_ACCESS_POLICY,
): Promise<{ state: SubscriptionState; access: number | null } | undefined> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const [row] = await ctx.db.select().from(subscriptions).where(eq(subscriptions.id, id)).limit(1);
    if (row === undefined) return undefined;
    const before = stateOf(row);
    const reduced = events.reduce(reduce, before);
    const access = accessEnd(reduced, policy);
    if (reduced === before) return { state: before, access };
    // One write is one version, however many events it folds in: the audit log has a row per version.
    const after = { ...reduced, version: before.version + 1 };
    try {
      const [first, ...rest] = changeWrites(ctx, row, before, after, {
        before: accessEnd(before, policy),
        after: access,
      });
      if (first !== undefined) await ctx.db.batch([first, ...rest]);
      return { state: after, access };
    } catch (error) {
      const [now] = await ctx.db
        .select({ version: subscriptions.version })
        .from(subscriptions)
        .where(eq(subscriptions.id, id));
      // Another worker moved it first: apply our events to its state.
      if (now !== undefined && now.version !== before.version) continue;
      throw error;
    }
  }
  throw new Error(`subscription ${id} kept changing under ${MAX_ATTEMPTS} attempts`);
}

function changeWrites(
  ctx: SubscriptionContext,
  row: SubscriptionRow,
  before: SubscriptionState,
  after: SubscriptionState,
  access: { before: number | null; after: number | null },
): Write[] {
  const writes: Write[] = [
    ctx.db
      .update(subscriptions)
      .set(columnsOf(after, ctx.now))
      .where(and(eq(subscriptions.id, row.id), eq(subscriptions.version, before.version))),
    expectOneChange(ctx.db),
  ];
  if (access.after !== access.before) writes.push(entitlementWrite(ctx, row, access.after));
  if (access.before !== null && access.after === null) {
    // Tokens minted before this stop verifying at once.
    writes.push(
      ctx.db
        .update(members)
        .set({ tokenVersion: sql`${members.tokenVersion} + 1`, updatedAt: ctx.now })
        .where(eq(members.id, row.memberId)),
    );
  }
  writes.push(
    auditWrite(
      { ...ctx, creatorId: row.creatorId },
      "subscription.updated",
      { type: "subscription", id: row.id },
      {
        from: { status: before.status, version: before.version },
        to: { status: after.status, version: after.version },
        access_end: access.after,
      },
    ),
  );
  return writes;
}

/** The tier entitlement this subscription grants, until `access` (revoked when null). */
function entitlementWrite(ctx: SubscriptionContext, row: SubscriptionRow, access: number | null): Write {
  const ended = access === null;
  const changes = {
    expiresAt: access ?? ctx.now,
    revokedAt: ended ? ctx.now : null,
    revokeReason: ended ? ("cancellation" as const) : null,
  };
  return ctx.db
    .insert(entitlements)
    .values({
      id: newId("entitlement"),
      creatorId: row.creatorId,
      memberId: row.memberId,
      offerId: row.offerId,
      benefitKey: row.offerId,
      sourceType: "subscription",
      sourceId: row.id,
      grantedAt: ctx.now,
      ...changes,
    })
    .onConflictDoUpdate({
      target: [
        entitlements.creatorId,
        entitlements.sourceType,
        entitlements.sourceId,
        entitlements.benefitKey,
      ],
      set: changes,
    });
}
