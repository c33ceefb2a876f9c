/**
 * What a member (with their token) or the creator (with the API key) can do with a subscription: read
 * it, cancel at period end and undo that, pause and resume, change the card renewals are charged with,
 * and, the creator only, cancel at once. Another creator's or another member's subscription answers
 * 404, as if it did not exist. Any renewal or retry already due is run first, so a change applies to
 * the subscription as it stands now.
 */
import { and, desc, eq } from "drizzle-orm";
import { type SubscriptionRow, subscriptions } from "../db/schema";
import { AppError, notFound } from "../errors";
import { toIso, toIsoOrNull } from "../lib/time";
import { accessEnd, isLive, paidThrough, type SubscriptionEvent, type SubscriptionState } from "./access";
import { type Dunning, dueOf, ended } from "./billing";
import { boundary, periodAt } from "./intervals";
import { billedByProvider, cancelAtProvider, changeBilledByProvider, refused } from "./provider-sync";
import {
  chargeCard,
  chargedInvoice,
  charge as chargeStep,
  type RenewalContext,
  runSteps,
  settingsOf,
} from "./renewals";
import type { SubscriptionView } from "./schemas";
import {
  type Applied,
  applyTo,
  DEFAULT_SETTINGS,
  dunningOf,
  factTime,
  intervalOfRow,
  type Loaded,
  loadSubscription,
  policyOf,
  stateOf,
} from "./store";

export interface Owner {
  creatorId: string;
  /** A member acting for themselves; absent for the creator. */
  memberId?: string | undefined;
}

export function renderSubscription(loaded: Loaded, now: number): SubscriptionView {
  const { row } = loaded;
  const state = stateOf(row);
  const access = accessEnd(state, policyOf(loaded.settings));
  const dunning = dunningOf(row);
  const retry = state.status === "past_due" ? dueOf({ state, dunning }) : null;
  return {
    id: row.id,
    object: "subscription",
    member_id: row.memberId,
    offer_id: row.offerId,
    status: row.status,
    amount: row.amount,
    currency: row.currency,
    interval: intervalOfRow(row),
    current_period_start: toIso(row.periodStart),
    current_period_end: toIso(row.periodEnd),
    cancel_at_period_end: row.cancelAtPeriodEnd,
    access_ends_at: toIsoOrNull(access === null ? null : access - row.clockOffsetMs),
    dunning:
      dunning.attempts === 0
        ? null
        : {
            failed_attempts: dunning.attempts,
            next_retry_at: toIsoOrNull(retry === null ? null : retry - row.clockOffsetMs),
          },
    clock: { offset_seconds: Math.round(row.clockOffsetMs / 1000), now: toIso(now + row.clockOffsetMs) },
    version: row.version,
    created_at: toIso(row.createdAt),
  };
}

export async function owned(ctx: RenewalContext, owner: Owner, id: string): Promise<Loaded> {
  const loaded = await loadSubscription(ctx.db, id);
  const row = loaded?.row;
  if (
    row === undefined ||
    row.creatorId !== owner.creatorId ||
    (owner.memberId !== undefined && row.memberId !== owner.memberId)
  ) {
    throw notFound("subscription", id);
  }
  return loaded as Loaded;
}

export async function listSubscriptions(ctx: RenewalContext, owner: Owner) {
  const rows = await ctx.db
    .select()
    .from(subscriptions)
    .where(
      and(
        eq(subscriptions.creatorId, owner.creatorId),
        owner.memberId === undefined ? undefined : eq(subscriptions.memberId, owner.memberId),
      ),
    )
    .orderBy(desc(subscriptions.createdAt))
    .limit(100);
  const settings = (await settingsOf(ctx.db, [owner.creatorId])).get(owner.creatorId) ?? DEFAULT_SETTINGS;
  return { object: "list" as const, data: rows.map((row) => renderSubscription({ row, settings }, ctx.now)) };
}

export async function getSubscription(ctx: RenewalContext, owner: Owner, id: string) {
  return renderSubscription(await current(ctx, await owned(ctx, owner, id)), ctx.now);
}

/** The subscription after any step already due (a renewal or retry the sweep has not reached yet). */
export async function current(ctx: RenewalContext, loaded: Loaded): Promise<Loaded> {
  const row = await runSteps(ctx, loaded);
  return row === loaded.row ? loaded : ((await loadSubscription(ctx.db, row.id)) ?? loaded);
}

export interface SubscriptionChanges {
  cancel_at_period_end?: boolean | undefined;
  paused?: boolean | undefined;
  payment_method?: string | undefined;
}

export async function updateSubscription(
  ctx: RenewalContext,
  owner: Owner,
  id: string,
  changes: SubscriptionChanges,
): Promise<SubscriptionView> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const loaded = await current(ctx, await owned(ctx, owner, id));
    const applied = await change(ctx, loaded, changes);
    if (applied !== "conflict") return renderSubscription(applied, ctx.now);
  }
  throw new AppError("conflict", "The subscription kept changing; try again.");
}

async function change(
  ctx: RenewalContext,
  loaded: Loaded,
  changes: SubscriptionChanges,
): Promise<Loaded | "conflict"> {
  const { row } = loaded;
  const state = stateOf(row);
  const at = factTime(row, ctx.now);
  const snapshot = (over: Partial<SubscriptionState>): SubscriptionEvent => ({
    type: "snapshot",
    at,
    status: over.status ?? state.status,
    periodStart: over.periodStart ?? state.periodStart,
    periodEnd: over.periodEnd ?? state.periodEnd,
    cancelAtPeriodEnd: over.cancelAtPeriodEnd ?? state.cancelAtPeriodEnd,
    trialEnd: state.trialEnd,
  });
  if (billedByProvider(row)) return changeBilledByProvider(ctx, loaded, at, changes);
  if (changes.paused === false && state.status === "paused") return resume(ctx, loaded, at, changes);
  const events: SubscriptionEvent[] = [];
  let dunning: Dunning | undefined;
  if (changes.cancel_at_period_end !== undefined) {
    if (!isLive(state) && state.status !== "paused") {
      throw refused(state, changes.cancel_at_period_end ? "be cancelled" : "be renewed");
    }
    if (changes.cancel_at_period_end !== state.cancelAtPeriodEnd) {
      events.push(snapshot({ cancelAtPeriodEnd: changes.cancel_at_period_end }));
    }
  }
  if (changes.paused === true && state.status !== "paused") {
    if (!isLive(state)) throw refused(state, "be paused");
    events.push({ ...snapshot({ status: "paused" }), at: at + events.length });
    // A paused subscription is not dunned: its failed invoice waits for the resume.
    dunning = { attempts: 0, since: null };
  }
  if (changes.paused === false && state.status !== "paused" && !isLive(state))
    throw refused(state, "be resumed");
  const method = changes.payment_method;
  const columns =
    method !== undefined && method !== row.paymentMethod ? { paymentMethod: method } : undefined;
  if (events.length === 0 && columns === undefined && dunning === undefined) return loaded;
  const applied = await applyTo(ctx, loaded, events, { columns, ...(dunning ? { dunning } : {}) });
  if (applied === "conflict") return applied;
  const next = { row: applied.row, settings: loaded.settings };
  // A new card while a renewal is failing: the failed invoice is retried with it at once.
  if (columns !== undefined && applied.state.status === "past_due") return retryNow(ctx, next);
  return next;
}

/** The failing invoice charged again now, as the next attempt of its dunning. */
async function retryNow(ctx: RenewalContext, loaded: Loaded): Promise<Loaded | "conflict"> {
  const { row } = loaded;
  const state = stateOf(row);
  const { index } = periodAt(row.anchor, intervalOfRow(row), state.periodStart);
  const applied = await chargeStep(ctx, loaded, {
    kind: "charge",
    at: factTime(row, ctx.now),
    periodIndex: index,
    periodStart: state.periodStart,
    periodEnd: state.periodEnd,
    attempt: row.dunningAttempts + 1,
  });
  if (applied === "deferred") throw unavailable();
  return applied === "conflict" ? applied : { row: applied.row, settings: loaded.settings };
}

/**
 * Resuming: within the paid period the tier simply comes back; after it, a new period starts now
 * (the subscription counts from a new anchor) and is charged first: declined, nothing changes (402).
 */
async function resume(
  ctx: RenewalContext,
  loaded: Loaded,
  at: number,
  changes: SubscriptionChanges,
): Promise<Loaded | "conflict"> {
  const { row } = loaded;
  const state = stateOf(row);
  const resumed = (p: { periodStart: number; periodEnd: number }): SubscriptionEvent => ({
    type: "snapshot",
    at,
    status: "active",
    periodStart: p.periodStart,
    periodEnd: p.periodEnd,
    cancelAtPeriodEnd: changes.cancel_at_period_end ?? state.cancelAtPeriodEnd,
    trialEnd: null,
  });
  const paid = paidThrough(state);
  const columns =
    changes.payment_method === undefined ? undefined : { paymentMethod: changes.payment_method };
  let applied: Applied | "conflict";
  if (paid !== null && paid > at) {
    applied = await applyTo(ctx, loaded, [resumed(state)], { columns });
  } else {
    const charging: SubscriptionRow = { ...row, ...columns };
    const period = { periodStart: at, periodEnd: boundary(at, intervalOfRow(row), 1) };
    const step = { kind: "charge" as const, at, periodIndex: 0, ...period, attempt: 1 };
    const payment = await chargeCard(ctx, charging, step);
    if (payment === "deferred") throw unavailable();
    if (payment?.status !== "succeeded") {
      throw new AppError(
        "payment_declined",
        payment?.lastError?.message ?? "The saved card could not be charged.",
      );
    }
    applied = await applyTo(ctx, loaded, [{ type: "invoice_paid", at, ...period }, resumed(period)], {
      columns: { ...columns, anchor: at },
      writes: [chargedInvoice(ctx, charging, step, payment, "paid")],
      action: "subscription.resumed",
    });
  }
  return applied === "conflict" ? applied : { row: applied.row, settings: loaded.settings };
}

/** The creator ends a subscription now: no access from this moment, nothing renews. */
export async function cancelSubscription(
  ctx: RenewalContext,
  owner: Owner,
  id: string,
): Promise<SubscriptionView> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const loaded = await current(ctx, await owned(ctx, owner, id));
    const state = stateOf(loaded.row);
    if (state.status === "canceled") return renderSubscription(loaded, ctx.now);
    const at = factTime(loaded.row, ctx.now);
    // Billed by the provider: it stops billing first, and its answer comes along with ours.
    const atProvider = billedByProvider(loaded.row)
      ? await cancelAtProvider(ctx.provider, loaded.row, at)
      : [];
    const applied = await applyTo(ctx, loaded, [...atProvider, ended(state, at)], {
      dunning: { attempts: 0, since: null },
      action: "subscription.canceled",
    });
    if (applied !== "conflict")
      return renderSubscription({ row: applied.row, settings: loaded.settings }, ctx.now);
  }
  throw new AppError("conflict", "The subscription kept changing; try again.");
}

export const unavailable = () =>
  new AppError("payment_unavailable", "The payment provider did not answer; try again.", {
    headers: { "retry-after": "2" },
  });
