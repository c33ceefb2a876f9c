/**
 * A key's `last_used_at` without a D1 write per request (docs/keys.md, Last used). A write is due when
 * the value the lookup just read is over a minute old and this isolate has not written the key in the
 * last minute; it runs after the answer (waitUntil) and is itself guarded, so isolates racing for the
 * same key land one write between them. The value is therefore accurate to about a minute, per isolate.
 */
import { and, eq, isNull, lt, or } from "drizzle-orm";
import type { Db } from "../db/client";
import { apiKeys } from "../db/schema";

export const LAST_USED_RESOLUTION_MS = 60_000;
/** Beyond this many keys seen, the isolate forgets them all: at worst one extra write per key. */
const MAX_REMEMBERED = 10_000;

/** Key id → when this isolate last wrote its last_used_at. */
const writtenAt = new Map<string, number>();

/** The guarded write this use calls for, or null when the stored value is recent enough. */
export function lastUsedWrite(
  db: Db,
  key: { id: string; lastUsedAt: number | null },
  now: number,
): Promise<unknown> | null {
  const stale = now - LAST_USED_RESOLUTION_MS;
  if (key.lastUsedAt !== null && key.lastUsedAt >= stale) return null;
  const mine = writtenAt.get(key.id);
  if (mine !== undefined && mine >= stale) return null;
  if (writtenAt.size >= MAX_REMEMBERED) writtenAt.clear();
  writtenAt.set(key.id, now);
  return db
    .update(apiKeys)
    .set({ lastUsedAt: now })
    .where(and(eq(apiKeys.id, key.id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, stale))))
    .run()
    .catch((error: unknown) => {
      // Bookkeeping only: a lost write shows an older time; it must never fail or slow the request.
      writtenAt.delete(key.id);
      console.error(JSON.stringify({ error: `last_used_at write failed: ${String(error)}`, key_id: key.id }));
    });
}
