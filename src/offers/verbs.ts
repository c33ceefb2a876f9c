import { and, eq, inArray, ne } from "drizzle-orm";
import { auditWrite } from "../audit";
import type { Call, TenantContext } from "../context";
import type { Write } from "../db/client";
import { listOwned } from "../db/keyset";
import { creators, type OfferRow, offers } from "../db/schema";
import { AppError, type FieldError, invalid, notFound } from "../errors";
import { newId } from "../lib/ids";
import { forgetPricing } from "../pricing/catalog";
import { bundleableKinds, type OfferShape, offerShapeErrors } from "./rules";
import type { CreateOfferInput, Offer, UpdateOfferInput } from "./schemas";
import { findOffer, renderOffer, renderOffers, replaceComponents, replacePrices } from "./store";

export async function createOffer({ ctx, input }: Call<CreateOfferInput>): Promise<Offer> {
  const defaultCurrency = input.default_currency ?? (await pickDefaultCurrency(ctx, input.prices));
  const id = newId("offer");
  const shape: OfferShape = {
    id,
    kind: input.kind,
    prices: input.prices,
    defaultCurrency,
    billingInterval: input.billing_interval ?? null,
    tierRank: input.tier_rank ?? null,
    components: input.components ?? [],
    requiresShipping: input.requires_shipping ?? false,
  };
  await checkShape(ctx, shape);
  const row: OfferRow = {
    id,
    creatorId: ctx.creatorId,
    kind: shape.kind,
    title: input.title,
    description: input.description ?? null,
    defaultCurrency,
    billingInterval: shape.billingInterval,
    tierRank: shape.tierRank,
    status: "active",
    requiresShipping: shape.requiresShipping ?? false,
    createdAt: ctx.now,
    updatedAt: ctx.now,
  };
  const offer = renderOffer(row, shape.prices, shape.components);
  await commitOffer(
    ctx,
    shape,
    [
      ctx.db.insert(offers).values(row),
      ...replacePrices(ctx.db, id, shape.prices),
      ...replaceComponents(ctx.db, id, shape.components),
      auditWrite(ctx, "offer.created", { type: "offer", id }, offer),
    ],
    offer,
  );
  return offer;
}

export async function updateOffer({
  ctx,
  input,
}: Call<{ id: string; changes: UpdateOfferInput }>): Promise<Offer> {
  const { changes } = input;
  const existing = await findOffer(ctx.db, ctx.creatorId, input.id);
  if (existing === undefined) throw notFound("offer", input.id);
  const [current] = await renderOffers(ctx.db, [existing]);
  if (current === undefined) throw notFound("offer", input.id);
  const shape: OfferShape = {
    id: existing.id,
    kind: existing.kind,
    prices: changes.prices ?? current.prices,
    defaultCurrency: changes.default_currency ?? existing.defaultCurrency,
    billingInterval: changes.billing_interval ?? existing.billingInterval,
    tierRank: changes.tier_rank ?? existing.tierRank,
    components: changes.components ?? current.components,
    requiresShipping: changes.requires_shipping ?? existing.requiresShipping,
  };
  await checkShape(ctx, shape);
  const row: OfferRow = {
    ...existing,
    title: changes.title ?? existing.title,
    description: changes.description === undefined ? existing.description : changes.description,
    defaultCurrency: shape.defaultCurrency,
    billingInterval: shape.billingInterval,
    tierRank: shape.tierRank,
    status: changes.status ?? existing.status,
    requiresShipping: shape.requiresShipping ?? false,
    updatedAt: ctx.now,
  };
  const offer = renderOffer(row, shape.prices, shape.components);
  await commitOffer(
    ctx,
    shape,
    [
      ctx.db
        .update(offers)
        .set(row)
        .where(and(eq(offers.creatorId, ctx.creatorId), eq(offers.id, existing.id))),
      ...(changes.prices ? replacePrices(ctx.db, existing.id, changes.prices) : []),
      ...(changes.components ? replaceComponents(ctx.db, existing.id, changes.components) : []),
      auditWrite(ctx, "offer.updated", { type: "offer", id: existing.id }, { changes }),
    ],
    offer,
  );
  forgetPricing(existing.id);
  return offer;
}

export async function getOffer({ ctx, input }: Call<{ id: string }>): Promise<Offer> {
  const row = await findOffer(ctx.db, ctx.creatorId, input.id);
  const [offer] = row ? await renderOffers(ctx.db, [row]) : [];
  if (offer === undefined) throw notFound("offer", input.id);
  return offer;
}

export async function listOffers({
  ctx,
  input,
}: Call<{ limit: number; cursor?: string | undefined; kind?: OfferRow["kind"] | undefined }>) {
  const listed = await listOwned(ctx.db, offers, {
    time: offers.createdAt,
    creatorId: ctx.creatorId,
    filter: input.kind ? eq(offers.kind, input.kind) : undefined,
    query: input,
    position: (r) => ({ t: r.createdAt, id: r.id }),
  });
  return { ...listed, data: await renderOffers(ctx.db, listed.data) };
}

/** The creator's own currency if the offer is priced in it, else the first price's. */
async function pickDefaultCurrency(ctx: TenantContext, prices: { currency: string }[]): Promise<string> {
  const [creator] = await ctx.db
    .select({ currency: creators.defaultCurrency })
    .from(creators)
    .where(eq(creators.id, ctx.creatorId));
  const preferred = creator?.currency;
  return prices.find((p) => p.currency === preferred)?.currency ?? prices[0]?.currency ?? "USD";
}

/** The pure shape rules, then the checks that need D1: components and tier ranks. */
async function checkShape(ctx: TenantContext, shape: OfferShape): Promise<void> {
  const errors = offerShapeErrors(shape);
  if (errors.length > 0) throw invalid(errors);
  errors.push(...(await componentErrors(ctx, shape)));
  if (errors.length > 0) throw invalid(errors);
  await assertTierRankFree(ctx, shape);
}

/** Tier ranks are unique per creator; a unique index backs this check up against races (see commitOffer). */
async function assertTierRankFree(ctx: TenantContext, shape: OfferShape): Promise<void> {
  if (shape.tierRank === null) return;
  const [clash] = await ctx.db
    .select({ id: offers.id })
    .from(offers)
    .where(
      and(
        eq(offers.creatorId, ctx.creatorId),
        eq(offers.tierRank, shape.tierRank),
        shape.id ? ne(offers.id, shape.id) : undefined,
      ),
    );
  if (clash)
    throw new AppError("conflict", `Tier rank ${shape.tierRank} is already taken by offer ${clash.id}.`);
}

/** Lands an offer's writes; a tier rank taken by a concurrent request since our check answers 409. */
async function commitOffer(
  ctx: TenantContext,
  shape: OfferShape,
  writes: Write[],
  offer: Offer,
): Promise<void> {
  try {
    await ctx.commit(writes, offer);
  } catch (error) {
    await assertTierRankFree(ctx, shape);
    throw error;
  }
}

/** Components must be this creator's active one-time offers or upsells. Another creator's id reads as unknown. */
async function componentErrors(ctx: TenantContext, shape: OfferShape): Promise<FieldError[]> {
  if (shape.components.length === 0) return [];
  const ids = shape.components.map((c) => c.offer_id);
  const found = await ctx.db
    .select({ id: offers.id, kind: offers.kind, status: offers.status })
    .from(offers)
    .where(and(eq(offers.creatorId, ctx.creatorId), inArray(offers.id, ids)));
  const byId = new Map(found.map((o) => [o.id, o]));
  return shape.components.flatMap((component, i): FieldError[] => {
    const path = `/components/${i}/offer_id`;
    const offer = byId.get(component.offer_id);
    if (offer === undefined) return [{ in: "body", path, message: "No such offer" }];
    if (!bundleableKinds.has(offer.kind))
      return [{ in: "body", path, message: "Only one-time offers and upsells" }];
    if (offer.status !== "active") return [{ in: "body", path, message: "The offer is archived" }];
    return [];
  });
}
