/**
 * Pop-up to subscription: a member who bought a tier at a pop-up's till (a POS sale grants it for one
 * period) turns it into a renewing subscription online, without paying twice for the period the till
 * already took money for. The subscription starts now as `trialing` until the till period ends, on the
 * card the member gives; its first charge falls on that end (the anchor), and every period after counts
 * from it. So access runs on without a gap from the till's period into the first paid one.
 */
import { and, desc, eq, gt, inArray, isNull } from "drizzle-orm";
import { entitlements, offerPrices, offers, orders, subscriptions } from "../db/schema";
import { AppError } from "../errors";
import { subscriptionIdFor } from "../lib/ids";
import { namedIntervals } from "./intervals";
import type { RenewalContext } from "./renewals";
import type { SubscriptionView } from "./schemas";
import { startWrites } from "./start";
import { loadSubscription } from "./store";
import { renderSubscription } from "./verbs";

export async function convertTillSubscription(
  ctx: RenewalContext,
  member: { creatorId: string; memberId: string },
  p: { offerId: string; paymentMethod: string },
): Promise<{ created: boolean; subscription: SubscriptionView }> {
  if (ctx.provider.name !== "sandbox") {
    throw new AppError(
      "conflict",
      `Turning a pop-up tier into a subscription billed by ${ctx.provider.name} is not supported yet.`,
    );
  }
  const [till, offer, live] = await ctx.db.batch([
    ctx.db
      .select({ id: entitlements.id, expiresAt: entitlements.expiresAt, currency: orders.currency })
      .from(entitlements)
      // The till's sale, for the currency it was paid in.
      .leftJoin(
        orders,
        and(eq(orders.creatorId, entitlements.creatorId), eq(orders.clientReference, entitlements.sourceId)),
      )
      .where(
        and(
          eq(entitlements.creatorId, member.creatorId),
          eq(entitlements.memberId, member.memberId),
          eq(entitlements.offerId, p.offerId),
          eq(entitlements.sourceType, "pos"),
          isNull(entitlements.revokedAt),
          gt(entitlements.expiresAt, ctx.now),
        ),
      )
      .orderBy(desc(entitlements.expiresAt))
      .limit(1),
    ctx.db
      .select({
        kind: offers.kind,
        interval: offers.billingInterval,
        defaultCurrency: offers.defaultCurrency,
        amount: offerPrices.amount,
        currency: offerPrices.currency,
      })
      .from(offers)
      .innerJoin(offerPrices, eq(offerPrices.offerId, offers.id))
      .where(
        and(eq(offers.id, p.offerId), eq(offers.creatorId, member.creatorId), eq(offers.status, "active")),
      ),
    ctx.db
      .select({ id: subscriptions.id })
      .from(subscriptions)
      .where(
        and(
          eq(subscriptions.creatorId, member.creatorId),
          eq(subscriptions.memberId, member.memberId),
          eq(subscriptions.offerId, p.offerId),
          inArray(subscriptions.status, ["trialing", "active", "past_due", "paused"]),
        ),
      )
      .limit(1),
  ]);
  const [held] = till;
  if (held === undefined || held.expiresAt === null) {
    throw new AppError(
      "conflict",
      "There is no tier bought at a pop-up to turn into a subscription: buy it online.",
    );
  }
  const id = subscriptionIdFor(`pos_${held.id.slice(held.id.indexOf("_") + 1)}`);
  const existing = live[0];
  if (existing !== undefined) {
    // A retry of this conversion answers the subscription it made; any other is a second subscription.
    if (existing.id !== id) throw new AppError("conflict", "The member already subscribes to this tier.");
    const loaded = await loadSubscription(ctx.db, id);
    if (loaded !== undefined) return { created: false, subscription: renderSubscription(loaded, ctx.now) };
  }
  const [any] = offer;
  if (any?.kind !== "membership" || any.interval === null) {
    throw new AppError("conflict", "That offer is not a membership tier.");
  }
  // Renewals are charged in the currency the till took, at the tier's price in it (else its default).
  const first =
    offer.find((o) => o.currency === held.currency) ??
    offer.find((o) => o.currency === any.defaultCurrency) ??
    any;
  const interval = namedIntervals[any.interval];
  const start = ctx.now;
  const trialEnd = held.expiresAt;
  const started = startWrites(
    { db: ctx.db, now: ctx.now, actor: ctx.actor },
    {
      id,
      creatorId: member.creatorId,
      memberId: member.memberId,
      offerId: p.offerId,
      amount: first.amount,
      currency: first.currency,
      interval,
      anchor: trialEnd,
      periodEnd: trialEnd,
      provider: ctx.provider.name,
      paymentMethod: p.paymentMethod,
    },
    [
      {
        type: "snapshot",
        at: start,
        status: "trialing",
        periodStart: start,
        periodEnd: trialEnd,
        cancelAtPeriodEnd: false,
        trialEnd,
      },
    ],
  );
  try {
    await ctx.db.batch(started.writes as [never, ...never[]]);
  } catch (error) {
    // A concurrent retry made it first: answer that one.
    const raced = await loadSubscription(ctx.db, id);
    if (raced === undefined) throw error;
    return { created: false, subscription: renderSubscription(raced, ctx.now) };
  }
  const loaded = await loadSubscription(ctx.db, id);
  if (loaded === undefined) throw new Error(`subscription ${id} vanished after its batch`);
  return { created: true, subscription: renderSubscription(loaded, ctx.now) };
}
