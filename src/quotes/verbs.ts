/**
 * Price decisioning for buyers: the pricing-only preview, signed quotes, and quote verification. The
 * offer's pricing comes from the per-isolate catalog; the engine is pure; coupons, members and upsell
 * orders are read from D1, fresh, when the request names them, and the drops the offer sells through on
 * every quote (see ./drops.ts). Those reads run side by side, not one after another.
 */
import { and, eq } from "drizzle-orm";
import type { BuyerContext } from "../context";
import { couponForQuote } from "../coupons/verbs";
import type { Db } from "../db/client";
import { type orderSources, orders } from "../db/schema";
import { AppError, invalid, notFound } from "../errors";
import { newId } from "../lib/ids";
import { toIso } from "../lib/time";
import { type ExposureSink, quoteExposures } from "../metrics/counters";
import { creatorSuspended } from "../operator/standing";
import { chargeableProblem } from "../payments/limits";
import { type CatalogEntry, pricingOf } from "../pricing/catalog";
import {
  type CouponTerms,
  type CurrencySource,
  type PriceDecision,
  priceOffer,
  resolveCurrency,
} from "../pricing/engine";
import { currencyOfCountry } from "../pricing/geo";
import type { PricingBuyer } from "./buyer";
import { bindDrops, dropsFor, type QuotedItems } from "./drops";
import type { PriceView, QuoteView, VerifiedQuoteView } from "./schemas";
import { type QuoteClaims, type quoteKeys, signQuote, verifyQuote } from "./token";

export const QUOTE_TTL_MS = 10 * 60 * 1000;
/** How long after an order is paid its buyer may still take an upsell on it. */
export const UPSELL_WINDOW_MS = 15 * 60 * 1000;

type QuoteKeys = Awaited<ReturnType<typeof quoteKeys>>;

export interface PriceRequest {
  offerId: string;
  quantity: number;
  currency: string | null;
  country: string | null;
}

/** The offer's priced breakdown for this buyer, as a live overlay or a product page shows it. */
export async function previewPrice({
  ctx,
  input,
}: {
  ctx: BuyerContext;
  input: PriceRequest & { buyer: PricingBuyer };
}): Promise<PriceView> {
  const entry = await sellableOffer(ctx.db, input.offerId, ctx.now, null);
  const currency = currencyFor(entry, input);
  const decision = decide(entry, input, currency.currency, input.buyer, null);
  return { object: "price", ...breakdown(input, decision, currency.source) };
}

export interface QuoteRequest extends PriceRequest {
  dropId: string | null;
  coupon: string | null;
  upsellOf: string | null;
  /** Where the buyer quotes from, for the KPIs only (not signed, not priced). */
  source?: (typeof orderSources)[number] | undefined;
}

/** A signed quote: the price this buyer will pay if they check out before it expires. */
export async function createQuote({
  ctx,
  input,
}: {
  ctx: BuyerContext & {
    /** A creator's secret or restricted key: its privileges (member_id, the "api" source). */
    caller: { creatorId: string } | null;
    /** The creator a key of any kind names: another creator's offer reads as unknown. */
    owner?: string | null;
    quoteKeys: QuoteKeys;
    exposures?: ExposureSink;
  };
  input: QuoteRequest & { buyer: (creatorId: string) => Promise<PricingBuyer> };
}): Promise<QuoteView> {
  const owner = ctx.owner ?? ctx.caller?.creatorId ?? null;
  const entry = await sellableOffer(
    ctx.db,
    input.offerId,
    ctx.now,
    owner === null ? null : { creatorId: owner },
  );
  const creatorId = entry.creatorId;
  const currency = currencyFor(entry, input);
  const items: QuotedItems = {
    offerId: entry.priced.id,
    quantity: input.quantity,
    components: entry.priced.components,
    named: input.dropId,
  };
  // The drop read needs no buyer, so it runs alongside the member read.
  const [buyer, dropRows] = await Promise.all([
    input.buyer(creatorId),
    dropsFor(ctx.db, creatorId, items, ctx.now),
  ]);
  const bound = bindDrops(items, dropRows, ctx.now);
  const [coupon, orderWindowEnd] = await Promise.all([
    input.coupon === null
      ? null
      : couponForQuote(ctx.db, {
          creatorId,
          code: input.coupon,
          offerId: entry.priced.id,
          currency: currency.currency,
          buyerKey: buyer.key,
          now: ctx.now,
        }),
    quoteExpiry(ctx.db, entry, input, buyer, ctx.now),
  ]);
  const decision = decide(entry, input, currency.currency, buyer, coupon?.terms ?? null);
  const unchargeable = chargeableProblem(decision.currency, decision.total);
  if (unchargeable !== undefined) throw new AppError("amount_out_of_range", unchargeable);
  // Whole seconds, as the token's `exp` carries them, so the response and the token agree exactly.
  const expiresAt =
    Math.floor(Math.min(orderWindowEnd, coupon?.expiresAt ?? Number.POSITIVE_INFINITY) / 1000) * 1000;
  const claims: QuoteClaims = {
    id: newId("quote"),
    creatorId,
    buyerKey: buyer.key,
    offerId: entry.priced.id,
    dropId: input.dropId,
    drops: bound,
    quantity: input.quantity,
    currency: decision.currency,
    amount: decision.total,
    arm: decision.arm,
    coupon: coupon?.terms.code ?? null,
    upsellOf: input.upsellOf,
    lines: decision.lines,
    issuedAt: ctx.now,
    expiresAt,
  };
  // Counted for the KPIs without waiting: the sink hands it to a counter object after the answer.
  ctx.exposures?.(quoteExposures(claims, input.source ?? (ctx.caller === null ? "" : "api")));
  return {
    id: claims.id,
    object: "quote",
    ...breakdown(input, decision, currency.source),
    drop_id: claims.dropId,
    drops: dropsView(claims),
    coupon: claims.coupon,
    upsell_of: claims.upsellOf,
    member_id: buyer.member?.id ?? null,
    expires_at: toIso(expiresAt),
    token: await signQuote(ctx.quoteKeys, claims),
  };
}

/**
 * Checks a quote token for a creator's server (and, later, checkout): it must verify, be unexpired,
 * and belong to this creator; another creator's quote reads as not found.
 */
export async function checkQuote({
  ctx,
  input,
}: {
  ctx: { creatorId: string; now: number; quoteKeys: QuoteKeys };
  input: { token: string };
}): Promise<VerifiedQuoteView> {
  const quote = await verifyQuote(ctx.quoteKeys, input.token, ctx.now);
  if (quote.creatorId !== ctx.creatorId) throw notFound("quote", quote.id);
  return {
    object: "verified_quote",
    id: quote.id,
    offer_id: quote.offerId,
    drop_id: quote.dropId,
    drops: dropsView(quote),
    quantity: quote.quantity,
    currency: quote.currency,
    total: quote.amount,
    lines: quote.lines,
    experiment: quote.arm ? { id: quote.arm.experimentId, arm: quote.arm.key } : null,
    coupon: quote.coupon,
    upsell_of: quote.upsellOf,
    buyer_key: quote.buyerKey,
    issued_at: toIso(quote.issuedAt),
    expires_at: toIso(quote.expiresAt),
  };
}

/** An active offer; an API-key caller sees only its own (another creator's reads as not found). */
async function sellableOffer(
  db: Db,
  offerId: string,
  now: number,
  caller: { creatorId: string } | null,
): Promise<CatalogEntry> {
  const entry = /^off_[0-9a-z_]{1,60}$/.test(offerId) ? await pricingOf(db, offerId, now) : undefined;
  if (entry === undefined || (caller !== null && caller.creatorId !== entry.creatorId)) {
    throw notFound("offer", offerId);
  }
  if (entry.creatorSuspended) throw creatorSuspended("offer");
  if (entry.status !== "active")
    throw new AppError("conflict", `Offer ${offerId} is archived and cannot be bought.`);
  return entry;
}

function currencyFor(entry: CatalogEntry, input: PriceRequest) {
  const resolved = resolveCurrency(entry.priced, input.currency, input.country, currencyOfCountry);
  if ("unpriced" in resolved) {
    const offered = Object.keys(entry.priced.prices).sort().join(", ");
    throw invalid([{ in: "body", path: "/currency", message: `Not offered; priced in ${offered}` }]);
  }
  return resolved;
}

function decide(
  entry: CatalogEntry,
  input: PriceRequest,
  currency: string,
  buyer: PricingBuyer,
  coupon: CouponTerms | null,
): PriceDecision {
  const tierRank = buyer.member?.tierRank ?? null;
  return priceOffer({
    offer: entry.priced,
    quantity: input.quantity,
    currency,
    country: input.country,
    member: tierRank === null ? null : { tierRank },
    buyerKey: buyer.key,
    coupon,
  });
}

function breakdown(input: PriceRequest, decision: PriceDecision, source: CurrencySource) {
  return {
    offer_id: input.offerId,
    quantity: decision.quantity,
    currency: decision.currency,
    currency_source: source,
    country: input.country,
    lines: decision.lines,
    total: decision.total,
    experiment: decision.arm ? { id: decision.arm.experimentId, arm: decision.arm.key } : null,
  };
}

/**
 * Ten minutes, or less for an upsell: it lives only as long as the window after the order it follows,
 * which must be this buyer's, paid, and recent. Any other order reads the same, to not leak orders.
 */
async function quoteExpiry(
  db: Db,
  entry: CatalogEntry,
  input: QuoteRequest,
  buyer: PricingBuyer,
  now: number,
): Promise<number> {
  const standard = now + QUOTE_TTL_MS;
  const isUpsell = entry.kind === "upsell";
  if (!isUpsell && input.upsellOf === null) return standard;
  if (!isUpsell)
    throw invalid([{ in: "body", path: "/upsell_of", message: "Only upsell offers follow an order" }]);
  if (input.upsellOf === null) {
    throw invalid([{ in: "body", path: "/upsell_of", message: "Required: an upsell follows a paid order" }]);
  }
  const [order] = await db
    .select({ status: orders.status, paidAt: orders.paidAt, buyerKey: orders.buyerKey })
    .from(orders)
    .where(and(eq(orders.creatorId, entry.creatorId), eq(orders.id, input.upsellOf)))
    .limit(1);
  const windowEnd = (order?.paidAt ?? 0) + UPSELL_WINDOW_MS;
  if (order?.status !== "paid" || order.buyerKey !== buyer.key || windowEnd <= now) {
    throw new AppError(
      "upsell_not_eligible",
      `This upsell is offered only to the buyer of a paid order, within ${UPSELL_WINDOW_MS / 60_000} minutes of payment.`,
    );
  }
  return Math.min(standard, windowEnd);
}

const dropsView = (quote: Pick<QuoteClaims, "drops">) =>
  quote.drops.map((d) => ({ drop_id: d.dropId, quantity: d.quantity }));
