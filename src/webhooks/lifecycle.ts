/**
 * Audit rows for moments nobody's request marks: a drop's window opening and closing, its last unit
 * selling, and a member's first appearance. Each is written once per subject (guarded by NOT EXISTS on the audit subject
 * index), so the dispatcher turns it into `drop.started`, `drop.ended`, `drop.sold_out` or `member.created`
 * exactly once.
 */
import { sql } from "drizzle-orm";
import { type Db, inChunks, type Write } from "../db/client";
import { auditEvents } from "../db/schema";
import type { StockSnapshot } from "../inventory/contract";
import { idPrefixes } from "../lib/ids";
import type { SoldOutCheck } from "./dispatch";

/**
 * How far back the minute cron looks for a window that opened or closed: an hour. A drop whose start
 * passed more than an hour before any cron ran (the worker was down that long) gets no `drop.started`;
 * nothing older is scanned again, so the work stays bounded by the drops of the last hour.
 */
export const DROP_LIFECYCLE_LOOKBACK_MS = 60 * 60 * 1000;

const auditIdSql = sql.raw(`'${idPrefixes.audit}_' || lower(hex(randomblob(12)))`);

/** `drop.started` and `drop.ended` for windows that opened or closed within the lookback. */
export function dropLifecycleWrites(db: Db, now: number): [Write, Write] {
  const since = now - DROP_LIFECYCLE_LOOKBACK_MS;
  const once = (action: string) => sql`NOT EXISTS (
      SELECT 1 FROM audit_events AS a WHERE a.creator_id = d.creator_id AND a.subject_type = 'drop'
        AND a.subject_id = d.id AND a.action = ${action})`;
  return [
    db.insert(auditEvents).select(sql`
      SELECT ${auditIdSql}, d.creator_id, 'system', 'drop.started', 'drop', d.id,
             json_object('starts_at', strftime('%Y-%m-%dT%H:%M:%fZ', d.starts_at / 1000.0, 'unixepoch'),
                         'stock', d.stock), ${now}
      FROM drops AS d
      WHERE d.starts_at <= ${now} AND d.starts_at > ${since} AND d.state <> 'closed'
        AND (d.ends_at IS NULL OR d.ends_at > ${now}) AND ${once("drop.started")}`),
    db.insert(auditEvents).select(sql`
      SELECT ${auditIdSql}, d.creator_id, 'system', 'drop.ended', 'drop', d.id,
             json_object('ends_at', strftime('%Y-%m-%dT%H:%M:%fZ', d.ends_at / 1000.0, 'unixepoch')), ${now}
      FROM drops AS d
      WHERE d.ends_at IS NOT NULL AND d.ends_at <= ${now} AND d.ends_at > ${since} AND d.state <> 'closed'
        AND ${once("drop.ended")}`),
  ];
}

/**
 * `member.created` for a member a batch just inserted with INSERT … ON CONFLICT DO NOTHING: written
 * only when the member with this id exists (the insert happened) and has no such row yet.
 */
export const memberCreatedWrite = (
  db: Db,
  p: { creatorId: string; memberId: string; actor: string; source: string; now: number },
): Write =>
  db.insert(auditEvents).select(sql`
    SELECT ${auditIdSql}, m.creator_id, ${p.actor}, 'member.created', 'member', m.id,
           json_object('email', m.email, 'cohort', m.cohort, 'acquisition_source', m.acquisition_source), ${p.now}
    FROM members AS m
    WHERE m.id = ${p.memberId} AND m.creator_id = ${p.creatorId}
      AND NOT EXISTS (SELECT 1 FROM audit_events AS a WHERE a.creator_id = ${p.creatorId}
                      AND a.subject_type = 'member' AND a.subject_id = ${p.memberId}
                      AND a.action = 'member.created')`);

/** `member.created` for many members one batch inserted: one statement per 90 ids (D1's parameter limit). */
export const membersCreatedWrites = (
  db: Db,
  p: { creatorId: string; memberIds: string[]; actor: string; now: number },
): Write[] =>
  inChunks(p.memberIds).map((ids) =>
    db.insert(auditEvents).select(sql`
      SELECT ${auditIdSql}, m.creator_id, ${p.actor}, 'member.created', 'member', m.id,
             json_object('email', m.email, 'cohort', m.cohort, 'acquisition_source', m.acquisition_source), ${p.now}
      FROM members AS m
      WHERE m.creator_id = ${p.creatorId} AND m.id IN (${sql.join(
        ids.map((id) => sql`${id}`),
        sql`, `,
      )})
        AND NOT EXISTS (SELECT 1 FROM audit_events AS a WHERE a.creator_id = m.creator_id
                        AND a.subject_type = 'member' AND a.subject_id = m.id AND a.action = 'member.created')`),
  );

/**
 * `drop.sold_out`, once per drop, when its object (the truth about stock) says every unit is sold:
 * none available and none held. Asked by the dispatcher for the drop of each paid order it reads, so
 * the pay path never waits for it; a later refund that restocks does not take the event back.
 */
export const soldOutCheck =
  (db: Db, snapshot: (dropId: string) => Promise<StockSnapshot>): SoldOutCheck =>
  async (dropId) => {
    const stock = await snapshot(dropId);
    if (stock.available > 0 || stock.held > 0 || stock.sold === 0) return false;
    const [written] = await db
      .insert(auditEvents)
      .select(sql`
        SELECT ${auditIdSql}, d.creator_id, 'system', 'drop.sold_out', 'drop', d.id,
               json_object('stock', ${stock.stock}, 'sold', ${stock.sold}), ${Date.now()}
        FROM drops AS d
        WHERE d.id = ${dropId}
          AND NOT EXISTS (SELECT 1 FROM audit_events AS a WHERE a.creator_id = d.creator_id
                          AND a.subject_type = 'drop' AND a.subject_id = d.id AND a.action = 'drop.sold_out')`)
      .returning({ id: auditEvents.id });
    return written !== undefined;
  };
