/**
 * Which web origins may use a creator's buyer surfaces from a browser: the CORS allow-list of its public
 * routes, the WebSocket origin check of its stock stream, and the frame-ancestors of its checkout pages.
 * The worker's own origin (its hosted pages and overlays) is always allowed; anything else must be in
 * the creator's `creator_origins` rows, set with PUT /v1/allowed-origins.
 *
 * Read per isolate and kept for ORIGINS_CACHE_MS, so a browser's calls cost no D1 read each; a change
 * reaches every isolate within that time.
 */
import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { creatorOrigins } from "../db/schema";

export const ORIGINS_CACHE_MS = 10_000;
const MAX_CACHED_CREATORS = 5_000;

/**
 * A web origin as browsers send it: scheme, host and an optional port, nothing else. https only, but
 * http on localhost and 127.0.0.1 (a creator's local development) too.
 */
export const ORIGIN_PATTERN =
  /^(?:https:\/\/[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+|http:\/\/(?:localhost|127\.0\.0\.1))(?::[0-9]{1,5})?$/;

let cache = new Map<string, { origins: ReadonlySet<string>; at: number }>();

export async function allowedOriginsOf(
  db: Db,
  creatorId: string,
  now = Date.now(),
): Promise<ReadonlySet<string>> {
  const hit = cache.get(creatorId);
  if (hit !== undefined && now - hit.at < ORIGINS_CACHE_MS) return hit.origins;
  const rows = await db
    .select({ origin: creatorOrigins.origin })
    .from(creatorOrigins)
    .where(eq(creatorOrigins.creatorId, creatorId));
  const origins = new Set(rows.map((r) => r.origin));
  if (cache.size >= MAX_CACHED_CREATORS) cache = new Map();
  cache.set(creatorId, { origins, at: now });
  return origins;
}

/** After the creator changes its list: this isolate sees the change at once. */
export function forgetOrigins(creatorId: string): void {
  cache.delete(creatorId);
}

/**
 * Whether a browser on `origin` may use this creator's surfaces. No Origin header (a server, curl, a
 * native app) and the worker's own origin always may; `null` (a sandboxed frame, a file) never does.
 */
export async function originAllowed(
  db: Db,
  creatorId: string,
  origin: string | undefined,
  selfOrigin: string,
): Promise<boolean> {
  if (origin === undefined || origin === selfOrigin) return true;
  if (!ORIGIN_PATTERN.test(origin)) return false;
  return (await allowedOriginsOf(db, creatorId)).has(origin);
}
