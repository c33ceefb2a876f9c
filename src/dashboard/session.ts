/**
 * The creator dashboard's sessions: made from a secret API key, checked exactly as the API checks one
 * (its SHA-256, not revoked), kept only as the SHA-256 of a 32-byte random cookie value, 30 minutes,
 * and tied to the key: a revoked key ends every session made from it on the next request, because each
 * use reads the session joined to its key (one D1 read).
 */
import { and, eq, gt, isNull, lte } from "drizzle-orm";
import type { Db } from "../db/client";
import { apiKeys, dashboardSessions } from "../db/schema";
import { hashApiKey } from "../lib/api-keys";
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

/** The key's creator and id when `key` is a live API key, as `requireApiKey` decides it. */
export async function apiKeyOf(db: Db, key: string): Promise<{ id: string; creatorId: string } | undefined> {
  const [row] = await db
    .select({ id: apiKeys.id, creatorId: apiKeys.creatorId })
    .from(apiKeys)
    .where(and(eq(apiKeys.hash, await hashApiKey(key.trim())), isNull(apiKeys.revokedAt)))
    .limit(1);
  return row;
}

/** Signs in with a secret API key: a new session and its cookie value, or undefined for a wrong key. */
export async function startSession(
  db: Db,
  key: string,
  now: number,
): Promise<{ secret: string; session: DashboardSession } | undefined> {
  const owner = await apiKeyOf(db, key);
  if (owner === undefined) return undefined;
  const secret = sessionSecret();
  const session = { creatorId: owner.creatorId, apiKeyId: owner.id, expiresAt: now + SESSION_TTL_MS };
  await db.insert(dashboardSessions).values({ hash: await sha256Hex(secret), createdAt: now, ...session });
  return { secret, session };
}

/** The live session a cookie value names: not expired, and its key not revoked. One D1 read. */
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
    .where(
      and(
        eq(dashboardSessions.hash, await sha256Hex(secret)),
        gt(dashboardSessions.expiresAt, now),
        isNull(apiKeys.revokedAt),
        eq(apiKeys.creatorId, dashboardSessions.creatorId),
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
