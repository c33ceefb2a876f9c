import { and, eq } from "drizzle-orm";
import type { Db, Write } from "../db/client";
import { checkoutLinks } from "../db/schema";
import { toIso, toIsoOrNull } from "../lib/time";
import { creatorStatusOf } from "../operator/standing";
import type { Link } from "./schemas";

export type LinkRow = typeof checkoutLinks.$inferSelect;

/** The hosted page of a link, on this worker's origin. */
export const linkUrl = (origin: string, id: string): string => `${origin}/l/${id}`;

/** The API view of a link. Pure, so a create can answer what it stores without reading it back. */
export function renderLink(row: LinkRow, origin: string): Link {
  return {
    object: "checkout_link",
    id: row.id,
    url: linkUrl(origin, row.id),
    offer_id: row.offerId,
    drop_id: row.dropId,
    title: row.title,
    quantity: row.quantity,
    currency: row.currency,
    coupon: row.coupon,
    source: row.source,
    attribution: row.attribution ?? null,
    success_url: row.successUrl,
    status: row.status,
    created_at: toIso(row.createdAt),
    archived_at: toIsoOrNull(row.archivedAt),
  };
}

export async function findLink(db: Db, creatorId: string, id: string): Promise<LinkRow | undefined> {
  const [row] = await db
    .select()
    .from(checkoutLinks)
    .where(and(eq(checkoutLinks.creatorId, creatorId), eq(checkoutLinks.id, id)))
    .limit(1);
  return row;
}

/**
 * The link a page was opened for, by its id alone: the page has no API key, and the id names its
 * creator. Everything else the page reads is scoped to that row's creator.
 */
export async function linkForPage(
  db: Db,
  id: string,
): Promise<(LinkRow & { creatorSuspended: boolean }) | undefined> {
  if (!/^lnk_[0-9a-z_]{1,60}$/.test(id)) return undefined;
  // The creator's standing rides the same read: a suspended creator's page says the shop is closed.
  const [row] = await db
    .select({ link: checkoutLinks, creatorStatus: creatorStatusOf(checkoutLinks.creatorId) })
    .from(checkoutLinks)
    .where(eq(checkoutLinks.id, id))
    .limit(1);
  return row === undefined ? undefined : { ...row.link, creatorSuspended: row.creatorStatus === "suspended" };
}

/**
 * The insert for a link row, for a verb's batch or the seed's (fixed ids: seeding twice changes nothing).
 * The caller has checked the row (see createLink); the seed writes rows it knows are valid.
 */
export const linkInsert = (db: Db, row: LinkRow): Write =>
  db.insert(checkoutLinks).values(row).onConflictDoNothing();
