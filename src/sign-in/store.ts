/**
 * The code table's writes. Each decision (may a code be issued? did a guess match? may it still be
 * tried?) is made inside one SQL statement, and its audit row selects what that statement wrote in the
 * same batch: D1 runs a batch's statements with no other request's in between, so no read-then-write
 * race lets a burst of requests past a cap.
 */
import { and, eq, gt, isNull, lt, sql } from "drizzle-orm";
import type { Db, Write } from "../db/client";
import { auditEvents, creators, members, signInCodes } from "../db/schema";
import { CODE_TTL_MS, CODES_PER_HOUR, MAX_ATTEMPTS, RATE_WINDOW_MS } from "./code";

/** An audit id minted in SQL, for rows an INSERT … SELECT writes: `aud_` and 96 random bits. */
const auditId = sql`'aud_' || lower(hex(randomblob(12)))`;

/** The member of this creator with this (normalized) email, and the creator's name for the mail. */
export async function memberByEmail(db: Db, creatorId: string, email: string) {
  const [row] = await db
    .select({ memberId: members.id, creatorName: creators.name })
    .from(members)
    .innerJoin(creators, eq(creators.id, members.creatorId))
    .where(and(eq(members.creatorId, creatorId), eq(members.email, email)))
    .limit(1);
  return row;
}

/**
 * Inserts the code only while the email has had fewer than CODES_PER_HOUR codes in the last hour, and
 * its audit row only if the code landed. The first statement returns the code's id when it did.
 */
export function issueCodeWrites(
  db: Db,
  code: { id: string; creatorId: string; memberId: string; email: string; hash: string; now: number },
): [Write, Write] {
  const expiresAt = code.now + CODE_TTL_MS;
  // INSERT … SELECT with the table's columns in declaration order: the SELECT yields no row past the cap.
  const insert = db
    .insert(signInCodes)
    .select(sql`
      SELECT ${code.id}, ${code.creatorId}, ${code.memberId}, ${code.email}, ${code.hash}, 0, ${code.now},
        ${expiresAt}, NULL, ${code.id}
      WHERE (
        SELECT count(*) FROM ${signInCodes}
        WHERE creator_id = ${code.creatorId} AND email = ${code.email} AND created_at > ${code.now - RATE_WINDOW_MS}
      ) < ${CODES_PER_HOUR}`)
    .returning({ id: signInCodes.id });
  const audit = db.insert(auditEvents).select(sql`
    SELECT ${auditId}, creator_id, 'anonymous', 'sign_in.code_issued', 'member', member_id,
      json_object('code_id', id, 'expires_at', expires_at), ${code.now}
    FROM ${signInCodes} WHERE id = ${code.id}`);
  return [insert, audit];
}

const live = (creatorId: string, email: string, now: number) =>
  and(
    eq(signInCodes.creatorId, creatorId),
    eq(signInCodes.email, email),
    isNull(signInCodes.usedAt),
    gt(signInCodes.expiresAt, now),
    lt(signInCodes.attempts, MAX_ATTEMPTS),
  );

/**
 * One guess, as three statements of one batch, all keyed by a random `touch` id for this request:
 * 1. the live code with this hash, if any, is used up (returned);
 * 2. if none was, every live code of the email counts one more wrong attempt (at MAX_ATTEMPTS, dead);
 * 3. an audit row for each code this request changed: completed or rejected.
 */
export function guessWrites(
  db: Db,
  p: { creatorId: string; email: string; hash: string; now: number; touch: string },
): [Write, Write, Write] {
  const use = db
    .update(signInCodes)
    .set({ usedAt: p.now, lastTouch: p.touch })
    .where(and(live(p.creatorId, p.email, p.now), eq(signInCodes.codeHash, p.hash)))
    .returning({ id: signInCodes.id, memberId: signInCodes.memberId });
  // Step 1's row is the only one with this touch and a used_at; step 2's rows keep used_at null, so
  // the condition reads the same for every row step 2 visits.
  const miss = db
    .update(signInCodes)
    .set({ attempts: sql`${signInCodes.attempts} + 1`, lastTouch: p.touch })
    .where(
      and(
        live(p.creatorId, p.email, p.now),
        // Bounded by creator and email, so the email index serves it rather than a scan of every code.
        sql`NOT EXISTS (SELECT 1 FROM ${signInCodes} AS hit WHERE hit.creator_id = ${p.creatorId} AND hit.email = ${p.email} AND hit.last_touch = ${p.touch} AND hit.used_at IS NOT NULL)`,
      ),
    );
  const audit = db.insert(auditEvents).select(sql`
    SELECT ${auditId}, creator_id,
      CASE WHEN used_at IS NULL THEN 'anonymous' ELSE 'member:' || member_id END,
      CASE WHEN used_at IS NULL THEN 'sign_in.code_rejected' ELSE 'sign_in.completed' END,
      'member', member_id, json_object('code_id', id, 'attempts', attempts), ${p.now}
    FROM ${signInCodes}
    WHERE creator_id = ${p.creatorId} AND email = ${p.email} AND last_touch = ${p.touch}`);
  return [use, miss, audit];
}

/**
 * Codes past the rate-limit window are dead and no longer counted: the hourly sweep may delete them.
 * Returns the statement, for the sweep's own batch.
 */
export const purgeSignInCodes = (db: Db, now: number): Write =>
  db.delete(signInCodes).where(lt(signInCodes.createdAt, now - Math.max(RATE_WINDOW_MS, CODE_TTL_MS)));
