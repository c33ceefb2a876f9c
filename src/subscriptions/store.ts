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
import { and, eq, sql } from "drizzle-orm";
import { auditWrite } from "../audit";
import { type Db, expectOneChange, type Write } from "../db/client";
import { creators, members, type revocationReasons, type SubscriptionRow, subscriptions } from "../db/schema";
import {
  type AccessPolicy,
  accessEnd,
  type Period,
  reduce,
  type SubscriptionEvent,
  type SubscriptionState,
} from "./access";
import { DUNNING_MS, type Dunning, dueOf } from "./billing";
import { entitlementWrites, movementWrites } from "./grants";
import type { Interval } from "./intervals";

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
  leewayMs: number | null;
  dunningOutcome: "unpaid" | "canceled";
  /** The lower tier a past_due member keeps after grace, until the dunning deadline; null for none. */
  downgradeOfferId: string | null;
}

export const DEFAULT_SETTINGS: BillingSettings = {
  graceMs: null,
  leewayMs: null,
  dunningOutcome: "unpaid",
  downgradeOfferId: null,
};

/** The creators columns the settings are read from, for a select. */
export const settingsColumns = {
  graceMs: creators.subscriptionGraceMs,
  leewayMs: creators.subscriptionLeewayMs,
  dunningOutcome: creators.dunningOutcome,
  downgradeOfferId: creators.subscriptionDowngradeOfferId,
};

export const billingSettingsOf = (r: BillingSettings): BillingSettings => ({
  graceMs: r.graceMs,
  leewayMs: r.leewayMs,
  dunningOutcome: r.dunningOutcome,
  downgradeOfferId: r.downgradeOfferId,
});

/**
 * Until when a past_due member holds the creator's downgrade tier (the subscription's time), or null:
 * from the failure to the dunning deadline, so once grace ends the lower tier is what remains.
 */
export function downgradeEnd(
  row: SubscriptionRow,
  s: SubscriptionState,
  settings: BillingSettings,
): number | null {
  if (settings.downgradeOfferId === null || settings.downgradeOfferId === row.offerId) return null;
  return s.status === "past_due" ? s.periodStart + policyOf(settings).dunningMs : null;
}

export const policyOf = (s: BillingSettings): AccessPolicy => ({
  ...DEFAULT_ACCESS_POLICY,
  ...(s.graceMs === null ? {} : { graceMs: s.graceMs }),
  ...(s.leewayMs === null ? {} : { renewalLeewayMs: s.leewayMs }),
});

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

/**
 * When a fact made now (a member's change, a retry) happens on the subscription's clock: its now, kept
 * after the last fact applied, so the reducer never reads it as older.
 */
export const factTime = (row: SubscriptionRow, now: number): number =>
  Math.max(now + row.clockOffsetMs, (stateOf(row).statusKey?.[0] ?? 0) + 1);

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
export function columnsOf(
  s: SubscriptionState,
  dunning: Dunning,
  offset: number,
  now: number,
  provider: string,
) {
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

/** A subscription with its creator's billing settings, as one read. */
export interface Loaded {
  row: SubscriptionRow;
  settings: BillingSettings;
}

export const loadedRead = (db: Db, id: string) =>
  db
    .select({
      row: subscriptions,
      ...settingsColumns,
    })
    .from(subscriptions)
    .innerJoin(creators, eq(creators.id, subscriptions.creatorId))
    .where(eq(subscriptions.id, id))
    .limit(1);

export const loadedOf = ([r]: Awaited<ReturnType<typeof loadedRead>>): Loaded | undefined =>
  r === undefined ? undefined : { row: r.row, settings: billingSettingsOf(r) };

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
  writes.push(...downgradeWrites(ctx, { row, next, before, after, settings }));
  const switched = next.offerId !== row.offerId;
  if (access.after !== access.before || switched) {
    writes.push(...entitlementWrites(ctx, next, access.after, extras.revokeReason));
  }
  // Another tier: the old tier's entitlement ends now (the new one is granted above).
  if (switched) writes.push(...entitlementWrites(ctx, row, null));
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

/** The downgrade tier's entitlement when its end moved (granted, extended, or revoked). */
function downgradeWrites(
  ctx: SubscriptionContext,
  c: {
    row: SubscriptionRow;
    next: SubscriptionRow;
    before: SubscriptionState;
    after: SubscriptionState;
    settings: BillingSettings;
  },
): Write[] {
  const offerId = c.settings.downgradeOfferId;
  const [from, to] = [downgradeEnd(c.row, c.before, c.settings), downgradeEnd(c.next, c.after, c.settings)];
  if (offerId === null || from === to) return [];
  return entitlementWrites(ctx, { ...c.next, offerId }, to);
}
