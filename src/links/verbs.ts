/**
 * Checkout links: a creator's shareable page selling one offer (or one drop of it) on terms baked in at
 * creation. The terms are checked once here, with the rules a quote applies (the page's quotes apply
 * them again, so a link whose drop later ends or coupon runs out shows the refusal, never a wrong price).
 */
import { eq } from "drizzle-orm";
import { auditWrite } from "../audit";
import type { Call, TenantContext } from "../context";
import { findCouponByCode } from "../coupons/store";
import { listOwned } from "../db/keyset";
import { checkoutLinks, drops } from "../db/schema";
import { AppError, type FieldError, invalid, notFound } from "../errors";
import { newId } from "../lib/ids";
import { findOffer } from "../offers/store";
import { pricingOf } from "../pricing/catalog";
import { bindDrops, dropsFor } from "../quotes/drops";
import type { CreateLinkInput, Link, LinkStatus } from "./schemas";
import { findLink, type LinkRow, linkInsert, renderLink } from "./store";

/** A link verb's context: the tenant's, the worker's public origin (links carry their page's URL), and
 * whether http success URLs on localhost are allowed (everywhere but production). */
export interface LinkContext extends TenantContext {
  origin: string;
  allowLocalHttp: boolean;
}

export async function createLink({ ctx, input }: Call<CreateLinkInput, LinkContext>): Promise<Link> {
  const row = await checkedRow(ctx, input);
  const link = renderLink(row, ctx.origin);
  await ctx.commit(
    [
      linkInsert(ctx.db, row),
      auditWrite(ctx, "checkout_link.created", { type: "checkout_link", id: row.id }, link),
    ],
    link,
  );
  return link;
}

/** Archiving is final and idempotent: an archived link answers as it is and writes nothing more. */
export async function archiveLink({ ctx, input }: Call<{ id: string }, LinkContext>): Promise<Link> {
  const existing = await findLink(ctx.db, ctx.creatorId, input.id);
  if (existing === undefined) throw notFound("checkout link", input.id);
  if (existing.status === "archived") {
    const link = renderLink(existing, ctx.origin);
    await ctx.commit([], link);
    return link;
  }
  const row: LinkRow = { ...existing, status: "archived", archivedAt: ctx.now, updatedAt: ctx.now };
  const link = renderLink(row, ctx.origin);
  await ctx.commit(
    [
      ctx.db
        .update(checkoutLinks)
        .set({ status: "archived", archivedAt: ctx.now, updatedAt: ctx.now })
        .where(eq(checkoutLinks.id, existing.id)),
      auditWrite(ctx, "checkout_link.archived", { type: "checkout_link", id: row.id }, {}),
    ],
    link,
  );
  return link;
}

export async function getLink({ ctx, input }: Call<{ id: string }, LinkContext>): Promise<Link> {
  const row = await findLink(ctx.db, ctx.creatorId, input.id);
  if (row === undefined) throw notFound("checkout link", input.id);
  return renderLink(row, ctx.origin);
}

export async function listLinks({
  ctx,
  input,
}: Call<{ limit: number; cursor?: string | undefined; status?: LinkStatus | undefined }, LinkContext>) {
  const listed = await listOwned(ctx.db, checkoutLinks, {
    time: checkoutLinks.createdAt,
    creatorId: ctx.creatorId,
    filter: input.status ? eq(checkoutLinks.status, input.status) : undefined,
    query: input,
    position: (r) => ({ t: r.createdAt, id: r.id }),
  });
  return { ...listed, data: listed.data.map((r) => renderLink(r, ctx.origin)) };
}

/**
 * The row a create stores, once its terms hold: the offer, drop and coupon are this creator's (another
 * creator's ids read as not found), the drop sells this offer, and an offer selling through a drop is
 * linked with it — the quote's own rule (bindDrops), so a link cannot promise what a quote would refuse.
 */
async function checkedRow(ctx: LinkContext, input: CreateLinkInput): Promise<LinkRow> {
  const dropId = input.drop_id ?? null;
  const [offer, drop, coupon] = await Promise.all([
    findOffer(ctx.db, ctx.creatorId, input.offer_id),
    dropId === null ? null : ownDrop(ctx, dropId),
    input.coupon === undefined ? null : findCouponByCode(ctx.db, ctx.creatorId, input.coupon),
  ]);
  if (offer === undefined) throw notFound("offer", input.offer_id);
  if (dropId !== null && drop === undefined) throw notFound("drop", dropId);
  if (offer.status !== "active") {
    throw new AppError("conflict", `Offer ${offer.id} is archived and cannot be linked.`);
  }
  const entry = await pricingOf(ctx.db, offer.id, ctx.now);
  const items = {
    offerId: offer.id,
    quantity: input.quantity,
    components: entry?.priced.components ?? [],
    named: dropId,
  };
  bindDrops(items, await dropsFor(ctx.db, ctx.creatorId, items, ctx.now), ctx.now);
  const errors: FieldError[] = [];
  if (input.coupon !== undefined && (coupon === undefined || coupon?.status !== "active")) {
    errors.push({ in: "body", path: "/coupon", message: "No such coupon" });
  }
  if (input.currency !== undefined && entry?.priced.prices[input.currency] === undefined) {
    errors.push({ in: "body", path: "/currency", message: "The offer is not priced in this currency" });
  }
  if (input.success_url !== undefined && !successUrlAllowed(input.success_url, ctx.allowLocalHttp)) {
    errors.push({
      in: "body",
      path: "/success_url",
      message: ctx.allowLocalHttp ? "Must be https, or http on localhost" : "Must be https",
    });
  }
  if (errors.length > 0) throw invalid(errors);
  return {
    id: newId("link"),
    creatorId: ctx.creatorId,
    offerId: offer.id,
    dropId,
    title: input.title ?? null,
    quantity: input.quantity,
    currency: input.currency ?? null,
    coupon: coupon?.code ?? null,
    source: input.source,
    attribution: input.attribution ?? null,
    successUrl: input.success_url ?? null,
    status: "active",
    archivedAt: null,
    createdAt: ctx.now,
    updatedAt: ctx.now,
  };
}

async function ownDrop(ctx: TenantContext, dropId: string) {
  const [row] = await ctx.db
    .select({ id: drops.id, creatorId: drops.creatorId })
    .from(drops)
    .where(eq(drops.id, dropId))
    .limit(1);
  return row?.creatorId === ctx.creatorId ? row : undefined;
}

/** https anywhere; http only to localhost or 127.0.0.1, and only outside production. */
export function successUrlAllowed(raw: string, allowLocalHttp: boolean): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol === "https:") return true;
  return allowLocalHttp && url.protocol === "http:" && ["localhost", "127.0.0.1"].includes(url.hostname);
}
