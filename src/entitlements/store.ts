/** Entitlement rows in D1: what a token is minted from, and the writes that grant and revoke. */
import { and, eq, gt, inArray, isNull, or, type SQL, type SQLWrapper, sql } from "drizzle-orm";
import { type Db, expectOneChange, inChunks, type Write } from "../db/client";
import { auditEvents, type EntitlementRow, entitlements, members } from "../db/schema";
import { newId, subscriptionIdFor } from "../lib/ids";
import { toIso, toIsoOrNull } from "../lib/time";
import { endedByOrderWrites } from "../subscriptions/start";
import type { Entitlement } from "./schemas";
import type { MemberTokenState } from "./token";

export function renderEntitlement(row: EntitlementRow): Entitlement {
  return {
    id: row.id,
    object: "entitlement",
    member_id: row.memberId,
    offer_id: row.offerId,
    benefit_key: row.benefitKey,
    source: { type: row.sourceType, id: row.sourceId },
    granted_at: toIso(row.grantedAt),
    expires_at: toIsoOrNull(row.expiresAt),
    revoked_at: toIsoOrNull(row.revokedAt),
    revoke_reason: row.revokeReason,
  };
}

/** Not revoked, not expired at `now`: what every token and receipt lists. */
export const activeAt = (now: number): SQL =>
  and(
    isNull(entitlements.revokedAt),
    or(isNull(entitlements.expiresAt), gt(entitlements.expiresAt, now)),
  ) as SQL;

/**
 * The member's token version and active entitlements, in one D1 round trip. `memberIds` is a subquery
 * or a list naming at most one member, so callers can find the member inside the same batch.
 */
export function tokenStateReads(
  db: Db,
  memberIds: SQLWrapper | string[],
  now: number,
  /** Only what these sources granted (a purchase receipt); everything active when absent. */
  sources?: { type: EntitlementRow["sourceType"]; ids: string[] },
) {
  const fromSources = sources === undefined ? undefined : grantedBy(sources.type, sources.ids);
  return [
    db
      .select({ id: members.id, creatorId: members.creatorId, version: members.tokenVersion })
      .from(members)
      .where(inArray(members.id, memberIds))
      .limit(1),
    db
      .select({ key: entitlements.benefitKey, expiresAt: entitlements.expiresAt })
      .from(entitlements)
      .where(and(inArray(entitlements.memberId, memberIds), activeAt(now), fromSources)),
  ] as const;
}

export function tokenStateOf(
  [member]: { id: string; creatorId: string; version: number }[],
  active: { key: string; expiresAt: number | null }[],
): MemberTokenState | undefined {
  if (member === undefined) return undefined;
  return { memberId: member.id, creatorId: member.creatorId, version: member.version, entitlements: active };
}

export async function memberTokenState(
  db: Db,
  creatorId: string,
  memberId: string,
  now: number,
): Promise<MemberTokenState | undefined> {
  const [member, active] = await db.batch(tokenStateReads(db, [memberId], now));
  const state = tokenStateOf(member, active);
  return state?.creatorId === creatorId ? state : undefined;
}

/** Token states for many members of one creator at once: two reads per 90 members, not two per member. */
export async function tokenStatesOf(
  db: Db,
  creatorId: string,
  memberIds: string[],
  now: number,
): Promise<Map<string, MemberTokenState>> {
  const states = new Map<string, MemberTokenState>();
  for (const ids of inChunks(memberIds)) {
    const [found, active] = await db.batch([
      db
        .select({ id: members.id, version: members.tokenVersion })
        .from(members)
        .where(and(eq(members.creatorId, creatorId), inArray(members.id, ids))),
      db
        .select({
          memberId: entitlements.memberId,
          key: entitlements.benefitKey,
          expiresAt: entitlements.expiresAt,
        })
        .from(entitlements)
        .where(and(inArray(entitlements.memberId, ids), activeAt(now))),
    ]);
    for (const m of found)
      states.set(m.id, { memberId: m.id, creatorId, version: m.version, entitlements: [] });
    for (const e of active) states.get(e.memberId)?.entitlements.push({ key: e.key, expiresAt: e.expiresAt });
  }
  return states;
}

export async function findEntitlement(db: Db, creatorId: string, id: string) {
  const [row] = await db
    .select()
    .from(entitlements)
    .where(and(eq(entitlements.creatorId, creatorId), eq(entitlements.id, id)))
    .limit(1);
  return row;
}

/** The entitlement a source granted for a benefit, whoever wrote it first. */
export async function findBySource(
  db: Db,
  row: Pick<EntitlementRow, "creatorId" | "sourceType" | "sourceId" | "benefitKey">,
) {
  const [found] = await db
    .select()
    .from(entitlements)
    .where(
      and(
        eq(entitlements.creatorId, row.creatorId),
        eq(entitlements.sourceType, row.sourceType),
        eq(entitlements.sourceId, row.sourceId),
        eq(entitlements.benefitKey, row.benefitKey),
      ),
    )
    .limit(1);
  return found;
}

/** Granting is idempotent per source: a second grant from the same source and benefit writes nothing. */
export const grantWrite = (db: Db, row: EntitlementRow): Write =>
  db.insert(entitlements).values(row).onConflictDoNothing();

/**
 * The audit row of a grant made by `grantWrite` in the same batch: written only if that row landed (a
 * grant that already existed for the source keeps its own history), so `entitlement.granted` is once.
 */
export const grantAuditWrite = (db: Db, row: EntitlementRow, actor: string): Write =>
  db.insert(auditEvents).select(sql`
    SELECT ${newId("audit")}, e.creator_id, ${actor}, 'entitlement.granted', 'entitlement', e.id,
           json_object('member_id', e.member_id, 'benefit_key', e.benefit_key, 'source_type', e.source_type,
                       'source_id', e.source_id, 'expires_at', e.expires_at), ${row.grantedAt}
    FROM entitlements AS e WHERE e.id = ${row.id} AND e.creator_id = ${row.creatorId}`);

const bumpTokenVersion = (db: Db, memberId: string): Write =>
  db
    .update(members)
    .set({ tokenVersion: sql`${members.tokenVersion} + 1` })
    .where(eq(members.id, memberId));

/** Marks the matching entitlements revoked, leaving any already revoked as they were. */
const revokeWhere = (db: Db, where: SQL | undefined, reason: RevokeReason, now: number): Write =>
  db
    .update(entitlements)
    .set({ revokedAt: now, revokeReason: reason })
    .where(and(where, isNull(entitlements.revokedAt)));

type RevokeReason = NonNullable<EntitlementRow["revokeReason"]>;

/**
 * Revokes one entitlement and bumps its member's token version, in that order, in one batch. The bump
 * runs only if the revocation changed the row, so a repeated revoke leaves the version alone.
 */
export const revokeWrites = (
  db: Db,
  row: Pick<EntitlementRow, "id" | "memberId">,
  reason: RevokeReason,
  now: number,
): Write[] => [
  revokeWhere(db, eq(entitlements.id, row.id), reason, now),
  expectOneChange(db),
  bumpTokenVersion(db, row.memberId),
];

/**
 * Revokes everything one source granted (a refunded order, a cancelled subscription) and bumps the
 * member's token version. For a caller's batch, e.g. checkout marking an order refunded.
 */
export const revokeSourceWrites = (
  db: Db,
  source: { creatorId: string; type: EntitlementRow["sourceType"]; id: string; memberId: string },
  reason: RevokeReason,
  now: number,
): Write[] => [
  revokeWhere(
    db,
    and(eq(entitlements.creatorId, source.creatorId), grantedBy(source.type, [source.id])),
    reason,
    now,
  ),
  bumpTokenVersion(db, source.memberId),
  // A membership order started a subscription: it ends with the order, and its tier goes above.
  ...(source.type === "order"
    ? endedByOrderWrites(db, { creatorId: source.creatorId, orderId: source.id, reason, now })
    : []),
];

/**
 * What these sources granted. An order's grants include the tier of the subscription it started (a
 * membership), so its receipt, its purchase token and its refund all cover the tier.
 */
export const grantedBy = (type: EntitlementRow["sourceType"], ids: string[]): SQL => {
  const own = and(eq(entitlements.sourceType, type), inArray(entitlements.sourceId, ids)) as SQL;
  if (type !== "order") return own;
  const started = and(
    eq(entitlements.sourceType, "subscription"),
    inArray(entitlements.sourceId, ids.map(subscriptionIdFor)),
  );
  return or(own, started) as SQL;
};
