/**
 * The creator dashboard's sessions: made from a secret API key (or a restricted one that may read what
 * the dashboard shows), checked exactly as the API checks one (liveKey: its SHA-256, not revoked, not
 * past a rotation's overlap, its creator not suspended), kept only as the SHA-256 of a 32-byte random
 * cookie value, 30 minutes, and tied to the key: a revoked or expired key, or a suspended creator, ends
 * every session made from it on the next request, because each use reads the session joined to its key
 * and creator (one D1 read).
 */
import { and, eq, gt, isNull, lte, or } from "drizzle-orm";
import type { Db } from "../db/client";
import { apiKeys, creators, dashboardSessions } from "../db/schema";
import { liveKey } from "../keys/lookup";
import { scopesAllow } from "../keys/scopes";
import { sha256Hex } from "../lib/crypto";

export const SESSION_TTL_MS = 30 * 60_000;

export interface DashboardSession {
  creatorId: string;
  apiKeyId: string;
  expiresAt: number;
}

/** 32 random bytes, base64url: the cookie's value. Only its SHA-256 is stored. */
function sessionSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** What the dashboard reads: a restricted key needs both to sign in. */
export const DASHBOARD_SCOPES = ["reports:read", "orders:read"] as const;

/**
 * The key's creator and id when `key` may open the dashboard: live as `requireApiKey` decides it, its
 * creator not suspended, a secret key or a restricted one holding DASHBOARD_SCOPES. A publishable key
 * sits in public pages, so it never opens the dashboard.
 */
export async function apiKeyOf(
  db: Db,
  key: string,
  now: number,
): Promise<{ id: string; creatorId: string } | undefined> {
  const live = await liveKey(db, key.trim(), now);
  if (live === undefined || live.creatorSuspended || live.kind === "publishable") return undefined;
  if (!DASHBOARD_SCOPES.every((scope) => scopesAllow(live.scopes, scope))) return undefined;
  return { id: live.id, creatorId: live.creatorId };
}

/** Signs in with an API key: a new session and its cookie value, or undefined for a key that may not. */
export async function startSession(
  db: Db,
  key: string,
  now: number,
): Promise<{ secret: string; session: DashboardSession } | undefined> {
  const owner = await apiKeyOf(db, key, now);
  if (owner === undefined) return undefined;
  const secret = sessionSecret();
  const session = { creatorId: owner.creatorId, apiKeyId: owner.id, expiresAt: now + SESSION_TTL_MS };
  await db.insert(dashboardSessions).values({ hash: await sha256Hex(secret), createdAt: now, ...session });
  return { secret, session };
}

/** The live session a cookie value names: not expired, its key live, its creator active. One D1 read. */
export async function sessionOf(db: Db, secret: string, now: number): Promise<DashboardSession | undefined> {
  if (secret.length === 0 || secret.length > 128) return undefined;
  const [row] = await db
    .select({
      creatorId: dashboardSessions.creatorId,
      apiKeyId: dashboardSessions.apiKeyId,
      expiresAt: dashboardSessions.expiresAt,
    })
    .from(dashboardSessions)
    .innerJoin(apiKeys, eq(apiKeys.id, dashboardSessions.apiKeyId))
    .innerJoin(creators, eq(creators.id, dashboardSessions.creatorId))
    .where(
      and(
        eq(dashboardSessions.hash, await sha256Hex(secret)),
        gt(dashboardSessions.expiresAt, now),
        isNull(apiKeys.revokedAt),
        // A rotated key's sessions end with its overlap, as the key itself does.
        or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)),
        eq(apiKeys.creatorId, dashboardSessions.creatorId),
        eq(creators.status, "active"),
      ),
    )
    .limit(1);
  return row;
}

/** Signs out: the session row is gone, so the cookie opens nothing even if a copy survives. */
export async function endSession(db: Db, secret: string): Promise<void> {
  if (secret.length === 0 || secret.length > 128) return;
  await db.delete(dashboardSessions).where(eq(dashboardSessions.hash, await sha256Hex(secret)));
}

/** For the hourly cron: expired sessions open nothing already; this only keeps the table small. */
export async function purgeExpiredSessions(db: Db, now: number): Promise<void> {
  await db.delete(dashboardSessions).where(lte(dashboardSessions.expiresAt, now));
}
