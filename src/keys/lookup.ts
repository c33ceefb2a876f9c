/**
 * The one lookup behind every creator key (admin routes, buyer routes, dashboard sign-in): the key's
 * row and its creator's standing, in one indexed D1 read by the key's SHA-256. A key is live when it is
 * not revoked and, after a rotation, its overlap has not run out.
 */
import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { type ApiKeyKind, apiKeys, creators } from "../db/schema";
import { constantTimeEqual, hashApiKey, kindOfKey } from "../lib/api-keys";

export interface LiveKey {
  id: string;
  creatorId: string;
  kind: ApiKeyKind;
  scopes: string[];
  creatorSuspended: boolean;
  lastUsedAt: number | null;
}

export async function liveKey(db: Db, key: string, now: number): Promise<LiveKey | undefined> {
  if (kindOfKey(key) === null || key.length > 128) return undefined;
  const hash = await hashApiKey(key);
  const [row] = await db
    .select({
      id: apiKeys.id,
      creatorId: apiKeys.creatorId,
      hash: apiKeys.hash,
      kind: apiKeys.kind,
      scopes: apiKeys.scopes,
      revokedAt: apiKeys.revokedAt,
      expiresAt: apiKeys.expiresAt,
      lastUsedAt: apiKeys.lastUsedAt,
      status: creators.status,
    })
    .from(apiKeys)
    .innerJoin(creators, eq(creators.id, apiKeys.creatorId))
    .where(eq(apiKeys.hash, hash))
    .limit(1);
  // The index finds the row by the whole digest; comparing it again in constant time costs nothing
  // and keeps the decision itself free of an early exit.
  if (row === undefined || !constantTimeEqual(row.hash, hash)) return undefined;
  if (row.revokedAt !== null) return undefined;
  if (row.expiresAt !== null && row.expiresAt <= now) return undefined;
  // The key's text must claim the kind its row holds: a publishable key never passes as a secret one.
  if (kindOfKey(key) !== row.kind) return undefined;
  return {
    id: row.id,
    creatorId: row.creatorId,
    kind: row.kind,
    scopes: JSON.parse(row.scopes) as string[],
    creatorSuspended: row.status === "suspended",
    lastUsedAt: row.lastUsedAt,
  };
}
