/**
 * Which creator owns a row, by its id, kept per isolate: an offer, drop, checkout or order never
 * changes hands and is never deleted, so a mapping once read stays true. Used where a public request
 * names an id and the worker must know its creator before the route runs (CORS, the stock stream).
 */
import { eq } from "drizzle-orm";
import type { Db } from "./client";
import type { checkouts, drops, offers, orders } from "./schema";

const MAX_KNOWN_OWNERS = 20_000;
let owners = new Map<string, string>();

export type OwnedTable = typeof offers | typeof drops | typeof checkouts | typeof orders;

/** The creator of the row `id` in `table`, or null when there is none (or `id` cannot be one). */
export async function ownerOf(db: Db, table: OwnedTable, id: unknown): Promise<string | null> {
  if (typeof id !== "string" || id.length === 0 || id.length > 100) return null;
  const known = owners.get(id);
  if (known !== undefined) return known;
  const [row] = await db.select({ creatorId: table.creatorId }).from(table).where(eq(table.id, id)).limit(1);
  if (row === undefined) return null;
  if (owners.size >= MAX_KNOWN_OWNERS) owners = new Map();
  owners.set(id, row.creatorId);
  return row.creatorId;
}
