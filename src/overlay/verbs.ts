/**
 * Overlays: a drop's read-only overlay page for a live stream (OBS browser source), opened by a token
 * the creator rotates. The token opens that drop's page and nothing else: it is no API key (admin routes
 * never see it), the page shows only public figures, and any mismatch answers one identical 404.
 */
import { auditWrite } from "../audit";
import type { BuyerContext, Call, TenantContext } from "../context";
import { renderDrop } from "../drops/rules";
import type { Drop } from "../drops/schemas";
import { AppError, invalid, notFound } from "../errors";
import type { StockView } from "../holds/schemas";
import { readStock } from "../holds/verbs";
import { toIso } from "../lib/time";
import { findLink, linkUrl } from "../links/store";
import type { OverlayToken, RotateOverlayTokenInput } from "./schemas";
import { activeLinkId, findOwnedDrop, newestActiveLink, tokenRowFor, tokenUpsert } from "./store";
import { generateOverlayToken, hashOverlayToken, looksLikeOverlayToken, sameDigest } from "./token";

/** A tenant's context and the origin the overlay URL is on (the one the request came to). */
export interface OverlayAdminContext extends TenantContext {
  origin: string;
}

export const overlayUrl = (origin: string, dropId: string, token: string): string =>
  `${origin}/overlay/${encodeURIComponent(dropId)}?token=${encodeURIComponent(token)}`;

/**
 * Issues the drop's overlay token, replacing the previous one at once. Not idempotent on purpose: a
 * replay would have to keep the token, and a retry is harmless anyway (it rotates again; the token the
 * lost answer carried never worked for anyone). The audit row names the link, never the token.
 */
export async function rotateOverlayToken({
  ctx,
  input,
}: Call<{ dropId: string } & RotateOverlayTokenInput, OverlayAdminContext>): Promise<OverlayToken> {
  const drop = await findOwnedDrop(ctx.db, ctx.creatorId, input.dropId);
  if (drop === undefined) throw notFound("drop", input.dropId);
  const linkId =
    input.link_id === undefined
      ? await newestActiveLink(ctx.db, ctx.creatorId, drop.id)
      : await checkedLink(ctx, drop.id, input.link_id);
  const token = generateOverlayToken();
  const row = {
    dropId: drop.id,
    creatorId: ctx.creatorId,
    hash: await hashOverlayToken(token),
    linkId,
    createdAt: ctx.now,
    rotatedAt: null,
  };
  const answer: OverlayToken = {
    object: "overlay_token",
    drop_id: drop.id,
    token,
    url: overlayUrl(ctx.origin, drop.id, token),
    link_id: linkId,
    created_at: toIso(ctx.now),
  };
  // `result` is null: nothing of the token may be stored beside its hash.
  await ctx.commit(
    [
      tokenUpsert(ctx.db, row),
      auditWrite(ctx, "overlay_token.rotated", { type: "drop", id: drop.id }, { link_id: linkId }),
    ],
    null,
  );
  return answer;
}

async function checkedLink(ctx: TenantContext, dropId: string, id: string): Promise<string> {
  const link = await findLink(ctx.db, ctx.creatorId, id);
  const refuse = (message: string) => invalid([{ in: "body", path: "/link_id", message }]);
  // Unknown and another creator's link alike: 404, as every id of another creator's answers.
  if (link === undefined) throw notFound("checkout link", id);
  if (link.dropId !== dropId) throw refuse("The link does not sell this drop");
  if (link.status !== "active") throw refuse("The link is archived");
  return link.id;
}

/** What the overlay page shows: public figures only. */
export interface OverlayView {
  drop: Drop;
  stock: StockView;
  /** The checkout page the QR code opens; null when the overlay has no active link. */
  linkUrl: string | null;
  now: number;
}

/** One answer for an unknown drop, a wrong token and another drop's token: none says which it was. */
const noOverlay = () => new AppError("not_found", "No overlay is here, or its token is not valid.");

export async function openOverlay({
  ctx,
  input,
}: Call<{ dropId: string; token: string | undefined; origin: string }, BuyerContext>): Promise<OverlayView> {
  if (!looksLikeOverlayToken(input.token)) throw noOverlay();
  const [hash, row] = await Promise.all([hashOverlayToken(input.token), tokenRowFor(ctx.db, input.dropId)]);
  if (row === undefined || !sameDigest(hash, row.hash)) throw noOverlay();
  const [drop, linkId] = await Promise.all([
    findOwnedDrop(ctx.db, row.creatorId, row.dropId),
    row.linkId === null ? null : activeLinkId(ctx.db, row.creatorId, row.linkId),
  ]);
  if (drop === undefined) throw noOverlay();
  const { stock } = await readStock({ ctx, input: { dropId: drop.id } });
  return {
    drop: renderDrop(drop, ctx.now),
    stock,
    linkUrl: linkId === null ? null : linkUrl(input.origin, linkId),
    now: ctx.now,
  };
}
