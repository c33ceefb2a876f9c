/** D1 access for overlays: the token row per drop, and the drop and link rows the page shows. */
import { and, desc, eq } from "drizzle-orm";
import type { Db, Write } from "../db/client";
import { checkoutLinks, type DropRow, drops, overlayTokens } from "../db/schema";

export type OverlayTokenRow = typeof overlayTokens.$inferSelect;

export async function findOwnedDrop(db: Db, creatorId: string, id: string): Promise<DropRow | undefined> {
  const [row] = await db
    .select()
    .from(drops)
    .where(and(eq(drops.creatorId, creatorId), eq(drops.id, id)))
    .limit(1);
  return row;
}

/** The drop's newest active checkout link of this creator: what an overlay points at by default. */
export async function newestActiveLink(db: Db, creatorId: string, dropId: string): Promise<string | null> {
  const [row] = await db
    .select({ id: checkoutLinks.id })
    .from(checkoutLinks)
    .where(
      and(
        eq(checkoutLinks.creatorId, creatorId),
        eq(checkoutLinks.dropId, dropId),
        eq(checkoutLinks.status, "active"),
      ),
    )
    .orderBy(desc(checkoutLinks.createdAt), desc(checkoutLinks.id))
    .limit(1);
  return row?.id ?? null;
}

export async function activeLinkId(db: Db, creatorId: string, id: string): Promise<string | null> {
  const [row] = await db
    .select({ id: checkoutLinks.id })
    .from(checkoutLinks)
    .where(
      and(
        eq(checkoutLinks.creatorId, creatorId),
        eq(checkoutLinks.id, id),
        eq(checkoutLinks.status, "active"),
      ),
    )
    .limit(1);
  return row?.id ?? null;
}

export async function tokenRowFor(db: Db, dropId: string): Promise<OverlayTokenRow | undefined> {
  const [row] = await db.select().from(overlayTokens).where(eq(overlayTokens.dropId, dropId)).limit(1);
  return row;
}

/**
 * The drop's one token row, replaced whole: the new hash takes effect in the same statement that
 * drops the old one, so no moment exists when both open the overlay. Also the seed's write.
 */
export const tokenUpsert = (db: Db, row: OverlayTokenRow): Write =>
  db
    .insert(overlayTokens)
    .values(row)
    .onConflictDoUpdate({
      target: overlayTokens.dropId,
      // created_at names the token, not the row: each rotation issues a new one.
      set: { hash: row.hash, linkId: row.linkId, createdAt: row.createdAt, rotatedAt: row.createdAt },
    });
