/**
 * Subscription rows in D1, folded through the access reducer (access.ts). Each change is one batch
 * guarded on the version it read: the row's new state, the tier entitlement moved to the new access
 * end (revoked when there is none, and the member's token version bumped so older tokens stop
 * verifying), an MRR movement when what counts as recurring revenue changed, and an audit row. Two
 * workers applying events at once never lose one: the loser re-reads and applies its events to the
 * winner's state, and the reducer makes the order irrelevant.
 *
 * Times in a row are the subscription's own (its sandbox clock runs `clock_offset_ms` ahead of the
 * wall clock, clock.ts); an entitlement's end is wall-clock time, so it is written back by the offset:
 * what remains of the access, from the subscription's now, is what remains of the entitlement.
 */
import { and, eq, ne, sql } from "drizzle-orm";
import { auditWrite } from "../audit";
import { type Db, expectOneChange, type Write } from "../db/client";
import {
  auditEvents,
  creators,
  entitlements,
  members,
  mrrMovements,
  type revocationReasons,
  type SubscriptionRow,
  subscriptions,
} from "../db/schema";
import { newId, subscriptionIdFor } from "../lib/ids";
import {
  type AccessPolicy,
  accessEnd,
  type Period,
  reduce,
  type SubscriptionEvent,
  type SubscriptionState,
  started,
} from "./access";
import { DUNNING_MS, type Dunning, dueOf, NO_DUNNING } from "./billing";
import { type Interval, monthlyAmount } from "./intervals";

type RevokeReason = (typeof revocationReasons)[number];

/** The default policy: a 2-hour renewal leeway, 3 days of grace, dunning over 7 days. */
export const DEFAULT_ACCESS_POLICY: AccessPolicy = {
  renewalLeewayMs: 2 * 3600_000,
  graceMs: 3 * 24 * 3600_000,
  dunningMs: DUNNING_MS,
};

/** What a creator chose for their subscriptions (creators table). */
export interface BillingSettings {
  graceMs: number | null;
  dunningOutcome: "unpaid" | "canceled";
}

export const DEFAULT_SETTINGS: BillingSettings = { graceMs: null, dunningOutcome: "unpaid" };

export const policyOf = (s: BillingSettings): AccessPolicy =>
  s.graceMs === null ? DEFAULT_ACCESS_POLICY : { ...DEFAULT_ACCESS_POLICY, graceMs: s.graceMs };

export interface SubscriptionContext {
  db: Db;
  /** Wall-clock time. */
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

export const intervalOfRow = (row: SubscriptionRow): Interval => ({
  unit: row.intervalUnit,
  count: row.intervalCount,
});

export const dunningOf = (row: SubscriptionRow): Dunning => ({
  attempts: row.dunningAttempts,
  since: row.dunningSince,
});

/** When the state's next step falls due on the wall clock (the sweep's index); null for none. */
export function wallDueOf(s: SubscriptionState, dunning: Dunning, offset: number): number | null {
  const due = dueOf({ state: s, dunning });
  return due === null ? null : due - offset;
}

/**
 * The row's columns for a state: its due time is wall-clock, the rest the subscription's own time. Only
 * the sandbox's subscriptions fall due here: a provider that bills itself (Stripe Billing) renews them.
 */
function columnsOf(s: SubscriptionState, dunning: Dunning, offset: number, now: number, provider: string) {
  return {
    status: s.status,
    periodStart: s.periodStart,
    periodEnd: s.periodEnd,
    cancelAtPeriodEnd: s.cancelAtPeriodEnd,
    trialEnd: s.trialEnd,
    statusKey: s.statusKey === null ? null : JSON.stringify(s.statusKey),
    periods: JSON.stringify(s.periods),
    version: s.version,
    dueAt: provider === "sandbox" ? wallDueOf(s, dunning, offset) : null,
    dunningAttempts: dunning.attempts,
    dunningSince: dunning.since,
    updatedAt: now,
  };
}

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
  if (access !== null) writes.push(entitlementWrite(ctx, row, access));
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

/** A subscription with its creator's billing settings, as one read. */
export interface Loaded {
  row: SubscriptionRow;
  settings: BillingSettings;
}

export const loadedRead = (db: Db, id: string) =>
  db
    .select({
      row: subscriptions,
      graceMs: creators.subscriptionGraceMs,
      dunningOutcome: creators.dunningOutcome,
    })
    .from(subscriptions)
    .innerJoin(creators, eq(creators.id, subscriptions.creatorId))
    .where(eq(subscriptions.id, id))
    .limit(1);

export const loadedOf = ([r]: Awaited<ReturnType<typeof loadedRead>>): Loaded | undefined =>
  r === undefined
    ? undefined
    : { row: r.row, settings: { graceMs: r.graceMs, dunningOutcome: r.dunningOutcome } };

export const loadSubscription = async (db: Db, id: string) => loadedOf(await loadedRead(db, id));

/** What else a change writes: the dunning state it leaves, and rows of the caller's (an invoice). */
export interface ChangeExtras {
  dunning?: Dunning;
  columns?: Partial<
    Pick<SubscriptionRow, "anchor" | "paymentMethod" | "amount" | "offerId" | "lastChangeId">
  >;
  writes?: Write[];
  /** Audit this change under another action than `subscription.updated` (e.g. `subscription.renewed`). */
  action?: string;
  /** More for the audit row's data. */
  audit?: Record<string, unknown>;
  /** Why the tier ends, when this change ends it (a refund, a chargeback; else a cancellation). */
  revokeReason?: RevokeReason;
}

export interface Applied {
  row: SubscriptionRow;
  state: SubscriptionState;
  access: number | null;
  changed: boolean;
}

/**
 * Applies facts to a loaded subscription in one batch guarded on its version. Answers "conflict" when
 * another worker moved it first (re-load and apply again: the reducer makes that safe).
 */
export async function applyTo(
  ctx: SubscriptionContext,
  { row, settings }: Loaded,
  events: readonly SubscriptionEvent[],
  extras: ChangeExtras = {},
): Promise<Applied | "conflict"> {
  const policy = policyOf(settings);
  const before = stateOf(row);
  const reduced = events.reduce(reduce, before);
  const dunning = extras.dunning ?? dunningOf(row);
  const sameDunning = dunning.attempts === row.dunningAttempts && dunning.since === row.dunningSince;
  const unchanged =
    reduced === before && sameDunning && extras.columns === undefined && extras.writes === undefined;
  if (unchanged) return { row, state: before, access: accessEnd(before, policy), changed: false };
  // One write is one version, however many events it folds in: the audit log has a row per version.
  const after = { ...reduced, version: before.version + 1 };
  const next: SubscriptionRow = {
    ...row,
    ...extras.columns,
    ...columnsOf(after, dunning, row.clockOffsetMs, ctx.now, row.provider),
  };
  const access = { before: accessEnd(before, policy), after: accessEnd(after, policy) };
  const writes: Write[] = [
    ctx.db
      .update(subscriptions)
      .set({ ...extras.columns, ...columnsOf(after, dunning, row.clockOffsetMs, ctx.now, row.provider) })
      .where(and(eq(subscriptions.id, row.id), eq(subscriptions.version, before.version))),
    expectOneChange(ctx.db),
    ...(extras.writes ?? []),
  ];
  const switched = next.offerId !== row.offerId;
  if (access.after !== access.before || switched) {
    writes.push(entitlementWrite(ctx, next, access.after, extras.revokeReason));
  }
  // Another tier: the old tier's entitlement ends now (the new one is granted above).
  if (switched) writes.push(entitlementWrite(ctx, row, null));
  if ((access.before !== null && access.after === null) || switched) {
    // Tokens minted before this (listing a tier no longer held) stop verifying at once.
    writes.push(
      ctx.db
        .update(members)
        .set({ tokenVersion: sql`${members.tokenVersion} + 1`, updatedAt: ctx.now })
        .where(eq(members.id, row.memberId)),
    );
  }
  writes.push(...movementWrites(ctx, next, before, after, row));
  writes.push(
    auditWrite(
      { ...ctx, creatorId: row.creatorId },
      extras.action ?? "subscription.updated",
      { type: "subscription", id: row.id },
      {
        from: { status: before.status, version: before.version },
        to: { status: after.status, version: after.version },
        period_end: after.periodEnd,
        access_end: access.after,
        ...extras.audit,
      },
    ),
  );
  try {
    await ctx.db.batch(writes as [Write, ...Write[]]);
  } catch (error) {
    const [now] = await ctx.db
      .select({ version: subscriptions.version })
      .from(subscriptions)
      .where(eq(subscriptions.id, row.id));
    if (now !== undefined && now.version !== before.version) return "conflict";
    throw error;
  }
  return { row: next, state: after, access: access.after, changed: true };
}

const MAX_ATTEMPTS = 5;

/** Applies provider facts to a subscription; answers its state and access end, or undefined if none. */
export async function applySubscriptionEvents(
  ctx: SubscriptionContext,
  id: string,
  events: readonly SubscriptionEvent[],
  extras?: ChangeExtras,
): Promise<Applied | undefined> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const loaded = await loadSubscription(ctx.db, id);
    if (loaded === undefined) return undefined;
    const applied = await applyTo(ctx, loaded, events, extras);
    if (applied !== "conflict") return applied;
  }
  throw new Error(`subscription ${id} kept changing under ${MAX_ATTEMPTS} attempts`);
}

/** The tier entitlement this subscription grants, until `access` (its time; revoked when null). */
function entitlementWrite(
  ctx: SubscriptionContext,
  row: SubscriptionRow,
  access: number | null,
  reason: RevokeReason = "cancellation",
): Write {
  const ended = access === null;
  const changes = {
    offerId: row.offerId,
    expiresAt: ended ? ctx.now : access - row.clockOffsetMs,
    revokedAt: ended ? ctx.now : null,
    revokeReason: ended ? reason : null,
  };
  return ctx.db
    .insert(entitlements)
    .values({
      id: newId("entitlement"),
      creatorId: row.creatorId,
      memberId: row.memberId,
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

/** MRR counts active and past_due subscriptions, normalised to a month (intervals.ts). */
const mrrOf = (
  row: Pick<SubscriptionRow, "amount" | "intervalUnit" | "intervalCount">,
  s: SubscriptionState,
) =>
  s.status === "active" || s.status === "past_due"
    ? Math.round(monthlyAmount(row.amount, { unit: row.intervalUnit, count: row.intervalCount }))
    : 0;

/** The movement a change makes, as Stripe and ChartMogul classify it; none when MRR stayed the same. */
function movementWrites(
  ctx: SubscriptionContext,
  row: SubscriptionRow,
  before: SubscriptionState,
  after: SubscriptionState,
  was: SubscriptionRow = row,
): Write[] {
  const [from, to] = [mrrOf(was, before), mrrOf(row, after)];
  if (from === to) return [];
  const neverCounted = before.status === "incomplete" || before.status === "trialing";
  const kind =
    from === 0
      ? neverCounted
        ? "new"
        : "reactivation"
      : to === 0
        ? "churn"
        : to > from
          ? "expansion"
          : "contraction";
  return [
    ctx.db.insert(mrrMovements).values({
      id: newId("mrrMovement"),
      creatorId: row.creatorId,
      subscriptionId: row.id,
      kind,
      amount: to - from,
      currency: row.currency,
      at: ctx.now + row.clockOffsetMs,
      createdAt: ctx.now,
    }),
  ];
}

/**
 * A refunded or charged-back membership order ends the subscription it started, in the caller's batch:
 * canceled (terminal in the reducer, so no later fact revives it), nothing left to renew, audited. The
 * tier entitlement is revoked by the same batch's revocation of the order's grants.
 */
export const endedByOrderWrites = (
  db: Db,
  p: { creatorId: string; orderId: string; reason: string; now: number },
): Write[] => {
  const id = subscriptionIdFor(p.orderId);
  return [
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
