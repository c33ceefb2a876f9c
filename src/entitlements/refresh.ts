/**
 * Refresh credentials: opaque (`cc_rt_` and 32 random bytes), long-lived, stored only as a SHA-256,
 * rotated on every use, grouped in families. Presenting a credential that was already rotated means
 * two parties hold it, so the whole family is revoked, except for an idempotent retry: the same
 * credential with the same Idempotency-Key within five minutes gets the same successor back. The
 * successor is derived from the presented secret and the key (HMAC), so no plaintext is ever stored.
 */
import { and, eq, gt, isNull, type SQL, sql } from "drizzle-orm";
import { base64url } from "jose";
import { auditWrite } from "../audit";
import type { Db, Write } from "../db/client";
import { type RefreshCredentialRow, refreshCredentials as rc } from "../db/schema";
import { sha256Hex } from "../lib/crypto";
import { newId } from "../lib/ids";
import { tokenStateOf, tokenStateReads } from "./store";
import type { MemberTokenState } from "./token";

export const REFRESH_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** How long a retried rotation (same credential, same Idempotency-Key) is answered with the same successor. */
export const ROTATION_RETRY_MS = 5 * 60 * 1000;
const PREFIX = "cc_rt_";
const SHAPE = /^cc_rt_[A-Za-z0-9_-]{43}$/;

export interface RefreshCredential {
  credential: string;
  expiresAt: number;
}

export const isCredentialShaped = (text: string): boolean => SHAPE.test(text);

const randomCredential = (): string => PREFIX + base64url.encode(crypto.getRandomValues(new Uint8Array(32)));

/** The successor of `presented` under an Idempotency-Key: HMAC keyed by the presented secret. */
async function derivedCredential(presented: string, idempotencyKey: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(presented),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`rotate\n${idempotencyKey}`));
  return PREFIX + base64url.encode(new Uint8Array(mac));
}

/** A new family's first credential, as one write for the caller's batch. */
export async function startFamily(
  db: Db,
  owner: { creatorId: string; memberId: string; audience: string },
  now: number,
): Promise<{ write: Write; credential: RefreshCredential }> {
  const credential = randomCredential();
  const id = newId("refreshCredential");
  const row: RefreshCredentialRow = {
    id,
    ...owner,
    familyId: id,
    secretHash: await sha256Hex(credential),
    createdAt: now,
    expiresAt: now + REFRESH_TTL_MS,
    rotatedAt: null,
    successorId: null,
    rotationKeyHash: null,
    revokedAt: null,
    revokeReason: null,
  };
  return { write: db.insert(rc).values(row), credential: { credential, expiresAt: row.expiresAt } };
}

/**
 * The first credential of a family that belongs to something the buyer already holds a secret for (a
 * paid checkout): derived from that secret, so every read by its holder returns the same credential
 * while it is unused, and none is stored. Null once it has been exchanged or revoked: the holder has
 * its successor by then.
 */
export async function derivedFamily(
  db: Db,
  owner: { creatorId: string; memberId: string; audience: string },
  p: { secret: string; familyKey: string; now: number },
): Promise<RefreshCredential | null> {
  const family = await derivedFamilyStatements(db, owner, p);
  const [insert, read] = family.statements;
  await insert;
  return family.credentialOf(await read);
}

/**
 * derivedFamily as two statements for a caller's batch (the family's first credential, unless it
 * exists, then the row as it stands) and what the row's read means.
 */
export async function derivedFamilyStatements(
  db: Db,
  owner: { creatorId: string; memberId: string; audience: string },
  p: { secret: string; familyKey: string; now: number },
) {
  const credential = await derivedCredential(p.secret, "session");
  const id = `rfc_${(await sha256Hex(`family\n${p.familyKey}`)).slice(0, 24)}`;
  const secretHash = await sha256Hex(credential);
  const statements = [
    db
      .insert(rc)
      .values({ id, ...owner, familyId: id, secretHash, createdAt: p.now, expiresAt: p.now + REFRESH_TTL_MS })
      .onConflictDoNothing(),
    db.select().from(rc).where(eq(rc.id, id)).limit(1),
  ] as const;
  const credentialOf = ([row]: RefreshCredentialRow[]): RefreshCredential | null => {
    if (
      row === undefined ||
      row.secretHash !== secretHash ||
      row.rotatedAt !== null ||
      row.revokedAt !== null
    )
      return null;
    if (row.expiresAt <= p.now) return null;
    return { credential, expiresAt: row.expiresAt };
  };
  return { statements, credentialOf };
}

export type Rotation =
  | { kind: "rotated"; state: MemberTokenState; audience: string; successor: RefreshCredential }
  | { kind: "refused"; why: "unknown" | "expired" | "revoked" | "reused" };

/**
 * Rotates `presented`: one D1 batch marks it rotated, inserts its successor and reads the member's
 * token state, so the common path is one round trip. Anything else is settled by `settle`.
 */
export async function rotate(
  db: Db,
  presented: string,
  idempotencyKey: string | undefined,
  now: number,
): Promise<Rotation> {
  const hash = await sha256Hex(presented);
  const successor =
    idempotencyKey === undefined ? randomCredential() : await derivedCredential(presented, idempotencyKey);
  const successorId = newId("refreshCredential");
  const thisRotation = and(eq(rc.secretHash, hash), eq(rc.successorId, successorId)) as SQL;
  const memberOfRotation = db.select({ id: rc.memberId }).from(rc).where(thisRotation);
  const [marked, , member, active] = await db.batch([
    db
      .update(rc)
      .set({
        rotatedAt: now,
        successorId,
        rotationKeyHash: idempotencyKey === undefined ? null : await sha256Hex(idempotencyKey),
      })
      .where(and(eq(rc.secretHash, hash), isNull(rc.rotatedAt), isNull(rc.revokedAt), gt(rc.expiresAt, now)))
      .returning({ audience: rc.audience }),
    db.insert(rc).select(
      db
        .select({
          id: sql<string>`${successorId}`.as("id"),
          creatorId: rc.creatorId,
          memberId: rc.memberId,
          familyId: rc.familyId,
          secretHash: sql<string>`${await sha256Hex(successor)}`.as("secret_hash"),
          audience: rc.audience,
          createdAt: sql<number>`${now}`.as("created_at"),
          expiresAt: sql<number>`${now + REFRESH_TTL_MS}`.as("expires_at"),
          rotatedAt: sql<null>`NULL`.as("rotated_at"),
          successorId: sql<null>`NULL`.as("successor_id"),
          rotationKeyHash: sql<null>`NULL`.as("rotation_key_hash"),
          revokedAt: sql<null>`NULL`.as("revoked_at"),
          revokeReason: sql<null>`NULL`.as("revoke_reason"),
        })
        .from(rc)
        .where(thisRotation),
    ),
    ...tokenStateReads(db, memberOfRotation, now),
  ]);
  const state = tokenStateOf(member, active);
  const rotated = marked[0];
  if (rotated !== undefined && state !== undefined) {
    return {
      kind: "rotated",
      state,
      audience: rotated.audience,
      successor: { credential: successor, expiresAt: now + REFRESH_TTL_MS },
    };
  }
  return settle(db, { hash, presented, idempotencyKey, now });
}

/** A credential that did not rotate: a retry to answer again, a reuse to punish, or just invalid. */
async function settle(
  db: Db,
  p: { hash: string; presented: string; idempotencyKey: string | undefined; now: number },
): Promise<Rotation> {
  const [row] = await db.select().from(rc).where(eq(rc.secretHash, p.hash)).limit(1);
  if (row === undefined) return { kind: "refused", why: "unknown" };
  if (row.revokedAt !== null) return { kind: "refused", why: "revoked" };
  if (row.rotatedAt === null) return { kind: "refused", why: "expired" };
  const retry = await retriedRotation(db, row, p);
  if (retry !== undefined) return retry;
  await db.batch([
    revokeFamilyWrite(db, row.familyId, "reused", p.now),
    auditWrite(
      { db, creatorId: row.creatorId, actor: "system", now: p.now },
      "refresh_family.revoked",
      { type: "member", id: row.memberId },
      { family_id: row.familyId, reason: "reused", credential_id: row.id },
    ),
  ]);
  return { kind: "refused", why: "reused" };
}

async function retriedRotation(
  db: Db,
  row: RefreshCredentialRow,
  p: { presented: string; idempotencyKey: string | undefined; now: number },
): Promise<Rotation | undefined> {
  if (p.idempotencyKey === undefined || row.rotationKeyHash === null || row.successorId === null) return;
  if (row.rotatedAt === null || p.now - row.rotatedAt > ROTATION_RETRY_MS) return;
  if (row.rotationKeyHash !== (await sha256Hex(p.idempotencyKey))) return;
  const successor = await derivedCredential(p.presented, p.idempotencyKey);
  const [[next], member, active] = await db.batch([
    db
      .select()
      .from(rc)
      .where(and(eq(rc.id, row.successorId), eq(rc.secretHash, await sha256Hex(successor))))
      .limit(1),
    ...tokenStateReads(db, [row.memberId], p.now),
  ]);
  // Once the successor has itself been used or revoked, the retry is a reuse after all.
  if (next === undefined || next.rotatedAt !== null || next.revokedAt !== null) return;
  const state = tokenStateOf(member, active);
  if (state === undefined) return;
  return {
    kind: "rotated",
    state,
    audience: row.audience,
    successor: { credential: successor, expiresAt: next.expiresAt },
  };
}

const revokeFamilyWrite = (db: Db, familyId: string, reason: string, now: number): Write =>
  db
    .update(rc)
    .set({ revokedAt: now, revokeReason: reason })
    .where(and(eq(rc.familyId, familyId), isNull(rc.revokedAt)));
