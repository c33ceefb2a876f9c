/**
 * Subscriptions a provider bills itself (Stripe Billing): a change made here is made at the provider
 * first, and the provider's answer is the snapshot our row applies, so a later event never undoes it
 * (a cancellation at period end that only our row knew would be renewed by Stripe the next week).
 * What Stripe Billing is not asked to do from here yet (pause, resume, tier switches, refunding an
 * invoice) is refused with 409 for such a subscription rather than done on our row alone.
 */
import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { type SubscriptionRow, subscriptions } from "../db/schema";
import { AppError } from "../errors";
import { subscriptionIdFor } from "../lib/ids";
import type { BillingSubscription, PaymentProvider } from "../payments/provider";
import { isLive, type SubscriptionEvent, type SubscriptionState } from "./access";
import type { RenewalContext } from "./renewals";
import { applyTo, type Loaded, stateOf } from "./store";
import { snapshotOf } from "./stripe-billing";
import type { SubscriptionChanges } from "./verbs";

/** Whether the provider bills this subscription (its renewals, its retries), not our engine. */
export const billedByProvider = (row: SubscriptionRow): boolean => row.provider !== "sandbox";

export function refuseAtProvider(row: SubscriptionRow, what: string): void {
  if (billedByProvider(row)) {
    throw new AppError(
      "conflict",
      `This subscription is billed by ${row.provider}: ${what} is not supported for it yet.`,
    );
  }
}

/** The provider's subscription id, or a refusal when the row has none (its checkout never finished). */
function providerIdOf(row: SubscriptionRow, provider: PaymentProvider): string {
  if (row.providerSubscriptionId === null || provider.name !== row.provider) {
    throw new AppError(
      "conflict",
      `This subscription is billed by ${row.provider}, which is not configured now.`,
    );
  }
  return row.providerSubscriptionId;
}

const unavailable = () =>
  new AppError("payment_unavailable", "The payment provider did not answer; try again.", {
    headers: { "retry-after": "2" },
  });

/** The provider's state as our fact, timed after everything already applied. */
const factOf = (sub: BillingSubscription, at: number): SubscriptionEvent[] => {
  const snapshot = snapshotOf(sub, at);
  return snapshot === null ? [] : [snapshot];
};

/** A member's or creator's change, made at the provider; answers the facts to apply. */
export async function changeAtProvider(
  provider: PaymentProvider,
  row: SubscriptionRow,
  at: number,
  change: { cancelAtPeriodEnd?: boolean; paymentMethod?: string },
): Promise<SubscriptionEvent[]> {
  const id = providerIdOf(row, provider);
  if (provider.updateSubscription === undefined)
    throw new AppError("conflict", "The provider cannot change it.");
  const key = `subscription-change:${row.id}:${row.version}:${JSON.stringify(change)}`;
  const sub = await provider.updateSubscription(id, { ...change, idempotencyKey: key }).catch(() => {
    throw unavailable();
  });
  return factOf(sub, at);
}

/** Cancelling now at the provider; answers the facts to apply. */
export async function cancelAtProvider(provider: PaymentProvider, row: SubscriptionRow, at: number) {
  const id = providerIdOf(row, provider);
  if (provider.cancelSubscription === undefined)
    throw new AppError("conflict", "The provider cannot cancel it.");
  const sub = await provider
    .cancelSubscription(id, { idempotencyKey: `subscription-cancel:${row.id}` })
    .catch(() => {
      throw unavailable();
    });
  return factOf(sub, at);
}

/**
 * A refunded or charged-back membership order ended its subscription in our rows (endedByOrderWrites):
 * the provider must stop billing it too, or the member would be charged next period with no access.
 * Called by every path that sees the order refunded; a failure is logged and the next sighting (the
 * provider's refund event, a retried refund call) tries again.
 */
export async function endAtProvider(
  ctx: { db: Db; provider: PaymentProvider },
  orderId: string,
): Promise<void> {
  const [row] = await ctx.db
    .select()
    .from(subscriptions)
    .where(eq(subscriptions.id, subscriptionIdFor(orderId)))
    .limit(1);
  if (row === undefined || !billedByProvider(row) || row.providerSubscriptionId === null) return;
  if (ctx.provider.name !== row.provider || ctx.provider.cancelSubscription === undefined) return;
  try {
    await ctx.provider.cancelSubscription(row.providerSubscriptionId, {
      idempotencyKey: `subscription-cancel:${row.id}`,
    });
  } catch (error) {
    console.error(
      JSON.stringify({ subscription: row.id, cancel_at_provider: "failed", error: String(error) }),
    );
  }
}

/**
 * A subscription the provider bills: the change is made there and its answer applied here (cancel at
 * period end or undo it, the card); pausing is refused for such a subscription (provider-sync.ts).
 */
export async function changeBilledByProvider(
  ctx: RenewalContext,
  loaded: Loaded,
  at: number,
  changes: SubscriptionChanges,
): Promise<Loaded | "conflict"> {
  const { row } = loaded;
  const state = stateOf(row);
  if (changes.paused !== undefined && changes.paused !== (state.status === "paused")) {
    refuseAtProvider(row, "pausing or resuming");
  }
  if (changes.cancel_at_period_end !== undefined && !isLive(state)) {
    throw refused(state, changes.cancel_at_period_end ? "be cancelled" : "be renewed");
  }
  const change = {
    ...(changes.cancel_at_period_end === undefined || changes.cancel_at_period_end === state.cancelAtPeriodEnd
      ? {}
      : { cancelAtPeriodEnd: changes.cancel_at_period_end }),
    ...(changes.payment_method === undefined || changes.payment_method === row.paymentMethod
      ? {}
      : { paymentMethod: changes.payment_method }),
  };
  if (Object.keys(change).length === 0) return loaded;
  const events = await changeAtProvider(ctx.provider, row, at, change);
  const columns = change.paymentMethod === undefined ? undefined : { paymentMethod: change.paymentMethod };
  const applied = await applyTo(ctx, loaded, events, { columns });
  return applied === "conflict" ? applied : { row: applied.row, settings: loaded.settings };
}

/** A change the subscription's status does not allow (409). */
export const refused = (s: Pick<SubscriptionState, "status">, what: string) =>
  new AppError("conflict", `A ${s.status} subscription cannot ${what}.`);
