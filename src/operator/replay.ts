/**
 * Idempotency-Key for the operator's creator create. The shared layer (src/http/idempotency.ts) claims a
 * key in a row scoped to a creator before the write runs; here no creator exists yet, and
 * idempotency_keys.creator_id references creators. So the key names the creator instead: its id is
 * derived from the key, and the answer is stored, scoped to that new creator, in the create's own batch.
 * A retry's insert of the same id fails the whole batch, and the stored answer is replayed. The row's
 * key is `operator <key>`: a space is outside the characters a client's key may hold, so the creator's
 * own keys can never meet it.
 *
 * The first key's secret is never stored in the clear: the stored answer holds it sealed as the key
 * routes seal theirs (src/keys/seal.ts), under the operator key that made the request, so only that
 * operator key can replay it.
 */
import { and, eq, gt } from "drizzle-orm";
import type { Db, Write } from "../db/client";
import { idempotencyKeys } from "../db/schema";
import { IDEMPOTENCY_TTL_MS } from "../http/idempotency";
import { sha256Hex } from "../lib/crypto";

const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

/** The id of the creator an operator Idempotency-Key creates: the same key always names the same one. */
export async function creatorIdForKey(idempotencyKey: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`operator-create\n${idempotencyKey}`)),
  );
  let id = "";
  for (const byte of digest.slice(0, 24)) id += alphabet[byte & 31];
  return `cre_${id}`;
}

const storedKey = (idempotencyKey: string) => `operator ${idempotencyKey}`;

export const requestHashOf = (method: string, path: string, body: string) =>
  sha256Hex(`${method} ${path}\n${body}`);

export interface StoredAnswer<T> {
  requestHash: string;
  answer: T;
  sealedSecret: string;
}

/** The answer row, completed in the create's batch (no lock: the batch itself is the claim). */
export function answerWrite<T>(
  db: Db,
  p: { creatorId: string; idempotencyKey: string; now: number; stored: StoredAnswer<T> },
): Write {
  return db.insert(idempotencyKeys).values({
    creatorId: p.creatorId,
    key: storedKey(p.idempotencyKey),
    requestHash: p.stored.requestHash,
    lockToken: crypto.randomUUID(),
    lockedUntil: null,
    responseStatus: 201,
    responseBody: JSON.stringify({ answer: p.stored.answer, sealed_secret: p.stored.sealedSecret }),
    createdAt: p.now,
    expiresAt: p.now + IDEMPOTENCY_TTL_MS,
  });
}

/** The stored answer of an earlier create with this key, while it is retained. */
export async function storedAnswer<T>(
  db: Db,
  creatorId: string,
  idempotencyKey: string,
  now: number,
): Promise<StoredAnswer<T> | undefined> {
  const [row] = await db
    .select({ requestHash: idempotencyKeys.requestHash, body: idempotencyKeys.responseBody })
    .from(idempotencyKeys)
    .where(
      and(
        eq(idempotencyKeys.creatorId, creatorId),
        eq(idempotencyKeys.key, storedKey(idempotencyKey)),
        gt(idempotencyKeys.expiresAt, now),
      ),
    )
    .limit(1);
  if (row?.body == null) return undefined;
  const body = JSON.parse(row.body) as { answer: T; sealed_secret: string };
  return { requestHash: row.requestHash, answer: body.answer, sealedSecret: body.sealed_secret };
}
