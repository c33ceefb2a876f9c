/**
 * Switching tier, up or down, at the proration a signed change quote showed (change-quote.ts): the
 * member (or the creator) asks for a quote, then applies it; the amount charged, or refunded, is the
 * quote's, and applying the same quote again changes nothing. The switch lands in one guarded batch: the
 * subscription's tier and price, the new tier granted and the old one ended (tokens listing it stop
 * verifying), an MRR expansion or contraction, and the audit row with the payment.
 */
import { and, eq } from "drizzle-orm";
import { destinationNow } from "../connect/checkout";
import { destinationOfPayment, paymentRefundWrites, reversalOption } from "../connect/refunds";
import type { Db, Write } from "../db/client";
import { offerPrices, offers, subscriptionInvoices } from "../db/schema";
import { AppError, notFound } from "../errors";
import { newId } from "../lib/ids";
import { toIso } from "../lib/time";
import type { QuoteKeys } from "../quotes/token";
import { CHANGE_QUOTE_TTL_MS, prorate, signChangeQuote, verifyChangeQuote } from "./change-quote";
import { namedIntervals } from "./intervals";
import { refuseAtProvider } from "./provider-sync";
import type { RenewalContext } from "./renewals";
import type { SubscriptionView } from "./schemas";
import { applyTo, type Loaded, loadSubscription } from "./store";
import { current, type Owner, owned, renderSubscription, unavailable } from "./verbs";

export interface SwitchContext extends RenewalContext {
  quoteKeys: QuoteKeys;
}

/** The tier to switch to, priced in the subscription's currency, billed on the same cadence. */
async function targetTier(db: Db, loaded: Loaded, offerId: string) {
  const { row } = loaded;
  const [offer] = await db
    .select({
      id: offers.id,
      kind: offers.kind,
      status: offers.status,
      interval: offers.billingInterval,
      amount: offerPrices.amount,
    })
    .from(offers)
    .leftJoin(offerPrices, and(eq(offerPrices.offerId, offers.id), eq(offerPrices.currency, row.currency)))
    .where(and(eq(offers.id, offerId), eq(offers.creatorId, row.creatorId)))
    .limit(1);
  if (offer === undefined || offer.kind !== "membership") throw notFound("membership offer", offerId);
  if (offer.status !== "active") throw new AppError("conflict", "That tier is archived.");
  if (offer.amount === null) throw new AppError("conflict", `That tier has no price in ${row.currency}.`);
  const cadence = offer.interval === null ? null : namedIntervals[offer.interval];
  if (cadence?.unit !== row.intervalUnit || cadence.count !== row.intervalCount) {
    throw new AppError(
      "conflict",
      "That tier renews on another cadence; switching cadence is not supported.",
    );
  }
  if (offer.id === row.offerId) throw new AppError("conflict", "The subscription is already on that tier.");
  return { id: offer.id, amount: offer.amount };
}

/** The current period's paid invoice: what a downgrade's credit is refunded from. */
async function paidInvoice(db: Db, loaded: Loaded) {
  const [invoice] = await db
    .select({ paymentId: subscriptionInvoices.paymentId, amount: subscriptionInvoices.amount })
    .from(subscriptionInvoices)
    .where(
      and(
        eq(subscriptionInvoices.subscriptionId, loaded.row.id),
        eq(subscriptionInvoices.periodStart, loaded.row.periodStart),
        eq(subscriptionInvoices.status, "paid"),
      ),
    )
    .limit(1);
  return invoice?.paymentId ? { paymentId: invoice.paymentId, amount: invoice.amount } : null;
}

export async function quoteTierChange(ctx: SwitchContext, owner: Owner, id: string, toOfferId: string) {
  const loaded = await current(ctx, await owned(ctx, owner, id));
  const { row } = loaded;
  refuseAtProvider(row, "switching tier");
  if (row.status !== "active")
    throw new AppError("conflict", `A ${row.status} subscription cannot switch tier.`);
  const [tier, invoice] = await Promise.all([
    targetTier(ctx.db, loaded, toOfferId),
    paidInvoice(ctx.db, loaded),
  ]);
  const at = ctx.now + row.clockOffsetMs;
  const raw = prorate({
    oldAmount: row.amount,
    newAmount: tier.amount,
    periodStart: row.periodStart,
    periodEnd: row.periodEnd,
    at,
  });
  // A credit is refunded to the card that paid this period, never more than it paid.
  const proration = Math.max(raw, -(invoice?.amount ?? 0));
  const quote = {
    id: newId("quote"),
    creatorId: row.creatorId,
    subscriptionId: row.id,
    version: row.version,
    fromOfferId: row.offerId,
    toOfferId: tier.id,
    amount: tier.amount,
    currency: row.currency,
    proration,
    at,
    expiresAt: ctx.now + CHANGE_QUOTE_TTL_MS,
  };
  return {
    object: "subscription_change_quote" as const,
    token: await signChangeQuote(ctx.quoteKeys, quote),
    subscription_id: row.id,
    from_offer_id: row.offerId,
    to_offer_id: tier.id,
    currency: row.currency,
    new_amount: tier.amount,
    due_now: Math.max(0, proration),
    refund_now: Math.max(0, -proration),
    expires_at: toIso(quote.expiresAt),
  };
}

export type ChangeQuoteView = Awaited<ReturnType<typeof quoteTierChange>>;

export async function applyTierChange(
  ctx: SwitchContext,
  owner: Owner,
  id: string,
  token: string,
): Promise<SubscriptionView> {
  const q = await verifyChangeQuote(ctx.quoteKeys, token, ctx.now);
  if (q.subscriptionId !== id || q.creatorId !== owner.creatorId) {
    throw new AppError("quote_invalid", "The change quote is for another subscription.");
  }
  let loaded = await owned(ctx, owner, id);
  if (loaded.row.lastChangeId === q.id) return renderSubscription(loaded, ctx.now);
  if (loaded.row.version !== q.version || loaded.row.status !== "active") {
    throw new AppError("conflict", "The subscription changed since the quote was made; ask for a new one.");
  }
  const { paymentId, writes } = await settleProration(ctx, loaded, q);
  // The money moved at the quoted amount: the switch now lands whatever else changed meanwhile.
  for (let attempt = 0; attempt < 5; attempt++) {
    if (loaded.row.lastChangeId === q.id) return renderSubscription(loaded, ctx.now);
    const applied = await applyTo(ctx, loaded, [], {
      columns: { offerId: q.toOfferId, amount: q.amount, lastChangeId: q.id },
      writes,
      action: "subscription.tier_changed",
      audit: {
        from_offer_id: q.fromOfferId,
        to_offer_id: q.toOfferId,
        proration: q.proration,
        payment_id: paymentId,
        quote_id: q.id,
      },
    });
    if (applied !== "conflict")
      return renderSubscription({ row: applied.row, settings: loaded.settings }, ctx.now);
    loaded = (await loadSubscription(ctx.db, id)) ?? loaded;
  }
  throw new AppError("conflict", "The subscription kept changing; apply the quote again.");
}

/**
 * Charges the quoted proration, or refunds the quoted credit, under a key only this quote uses. A
 * creator paid through Connect gets the proration as a destination charge (refused with
 * payouts_not_ready while its account cannot take one), and a credit refunded from a destination
 * charge takes the creator's share back with it; its record lands in the switch's batch (`writes`).
 */
async function settleProration(
  ctx: SwitchContext,
  loaded: Loaded,
  q: Awaited<ReturnType<typeof verifyChangeQuote>>,
): Promise<{ paymentId: string | null; writes: Write[] }> {
  const { row } = loaded;
  if (q.proration > 0) {
    if (row.paymentMethod === null)
      throw new AppError("payment_declined", "No saved card to charge the proration to.");
    const destination = await destinationNow(ctx, row.creatorId, q.proration);
    const payment = await ctx.provider
      .create({
        amount: q.proration,
        currency: q.currency,
        ...(destination === undefined ? {} : { destination }),
        paymentMethod: row.paymentMethod,
        description: `Tier change for subscription ${row.id}`,
        metadata: { creator_id: row.creatorId, subscription_id: row.id, change_quote: q.id },
        idempotencyKey: `change:${row.id}:${q.id}`,
      })
      .catch(() => {
        throw unavailable();
      });
    if (payment.status !== "succeeded") {
      throw new AppError(
        "payment_declined",
        payment.lastError?.message ?? "The saved card could not be charged.",
      );
    }
    return { paymentId: payment.id, writes: [] };
  }
  if (q.proration < 0) {
    const invoice = await paidInvoice(ctx.db, loaded);
    if (invoice === null)
      throw new AppError("conflict", "The period's payment is gone; ask for a new quote.");
    const paid = await ctx.provider.retrieve(invoice.paymentId).catch(() => {
      throw unavailable();
    });
    const destination = destinationOfPayment(paid);
    const refund = await ctx.provider
      .refund(invoice.paymentId, {
        amount: -q.proration,
        reason: "requested_by_customer",
        idempotencyKey: `change-refund:${q.id}`,
        ...reversalOption(destination?.account),
      })
      .catch(() => {
        throw unavailable();
      });
    const writes = paymentRefundWrites(
      { db: ctx.db, actor: ctx.actor, now: ctx.now },
      { creatorId: row.creatorId, orderId: null, paid, refund },
      { type: "subscription", id: row.id },
    );
    return { paymentId: invoice.paymentId, writes };
  }
  return { paymentId: null, writes: [] };
}
