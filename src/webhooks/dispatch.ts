/**
 * The dispatcher: turns audit rows into webhook events and deliveries. The audit log is the outbox:
 * every state change wrote its audit row in the change's own batch, so reading the log in `rowid` order
 * (commit order, unlike created_at or the random ids) after one global cursor misses nothing.
 *
 * One page is one D1 batch: per audit row that maps to an event type and whose creator has an enabled
 * endpoint, an INSERT OR IGNORE of the event (unique on the audit row; `seq` is counted for the
 * subject inside the same statement, so it rises by one per event of that subject), an INSERT OR IGNORE
 * of one delivery per matching endpoint (unique on endpoint and event), and the cursor moved forward
 * (never back). Two dispatchers running at once write the same rows once; the loser's inserts are
 * ignored and it enqueues nothing new. An endpoint receives only what happened after it was created.
 */
import { sql } from "drizzle-orm";
import type { Db, Write } from "../db/client";
import { webhookCursor, webhookDeliveries, webhookEvents } from "../db/schema";
import { idPrefixes, newId } from "../lib/ids";
import { toIso } from "../lib/time";
import { eventTypeFor } from "./event-types";

export const DISPATCH_PAGE = 100;

interface AuditRow {
  rid: number;
  id: string;
  creator_id: string;
  actor: string;
  action: string;
  subject_type: string;
  subject_id: string;
  data: string | null;
  created_at: number;
  wanted: number;
  /** For an `order.paid` row: the order's drop, whose stock may just have run out. */
  paid_drop: string | null;
}

export interface DispatchResult {
  /** Audit rows read past the cursor. */
  scanned: number;
  /** Events made (or already made by a concurrent dispatcher) and their new deliveries. */
  events: number;
  deliveries: string[];
  /** True when the page was full: there may be more to read. */
  more: boolean;
  /** Drops an order of this page was paid from: each may have just sold out. */
  paidDrops: string[];
}

/** Writes `drop.sold_out` (once) when the drop's object says nothing is left; true when it wrote one. */
export type SoldOutCheck = (dropId: string) => Promise<boolean>;

/** The stored body of an event: Standard Webhooks' `{ type, timestamp, data }`; `seq` is set in SQL. */
export function eventPayload(row: Omit<AuditRow, "rid" | "wanted">, type: string): string {
  let changes: unknown = null;
  try {
    changes = row.data === null ? null : JSON.parse(row.data);
  } catch {
    changes = row.data;
  }
  return JSON.stringify({
    type,
    timestamp: toIso(row.created_at),
    data: {
      subject: { type: row.subject_type, id: row.subject_id },
      seq: 0,
      creator_id: row.creator_id,
      audit_id: row.id,
      actor: row.actor,
      changes,
    },
  });
}

/** SQL for a new delivery id: `whd_` and 24 random characters, made per row inside one INSERT…SELECT. */
const deliveryIdSql = sql.raw(`'${idPrefixes.webhookDelivery}_' || lower(hex(randomblob(12)))`);

/** The writes that make one audit row's event and its deliveries; the deliveries' ids are returned. */
export function eventWrites(
  db: Db,
  row: Omit<AuditRow, "rid" | "wanted">,
  type: string,
  now: number,
): Write[] {
  const payload = eventPayload(row, type);
  return [
    db
      .insert(webhookEvents)
      .select(sql`
        SELECT ${newId("webhookEvent")}, ${row.creator_id}, ${row.id}, ${type}, ${row.subject_type},
               ${row.subject_id}, s.seq, json_set(${payload}, '$.data.seq', s.seq), ${now}
        FROM (SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM webhook_events
              WHERE creator_id = ${row.creator_id} AND subject_id = ${row.subject_id}) AS s
        WHERE true`)
      .onConflictDoNothing(),
    db
      .insert(webhookDeliveries)
      .select(sql`
        SELECT ${deliveryIdSql}, e.creator_id, e.id, ev.id, 'pending', 0, ${now}, NULL, NULL, NULL, NULL,
               ${now}, ${now}
        FROM webhook_endpoints AS e JOIN webhook_events AS ev ON ev.audit_id = ${row.id}
        WHERE e.creator_id = ${row.creator_id} AND e.status = 'enabled' AND e.created_at <= ${row.created_at}
          AND (e.event_types IS NULL
               OR EXISTS (SELECT 1 FROM json_each(e.event_types) WHERE value = ${type}))`)
      .onConflictDoNothing()
      .returning({ id: webhookDeliveries.id }),
  ];
}

/** Reads one page past the cursor and lands its events, deliveries and the new cursor in one batch. */
export async function dispatchPage(db: Db, now: number, limit = DISPATCH_PAGE): Promise<DispatchResult> {
  const rows = await db.all<AuditRow>(sql`
    SELECT a.rowid AS rid, a.id, a.creator_id, a.actor, a.action, a.subject_type, a.subject_id,
           a.created_at, a.data,
           EXISTS (SELECT 1 FROM webhook_endpoints AS e
                   WHERE e.creator_id = a.creator_id AND e.status = 'enabled'
                     AND e.created_at <= a.created_at) AS wanted,
           CASE WHEN a.action = 'order.paid' AND a.subject_type = 'order'
                THEN (SELECT o.drop_id FROM orders AS o WHERE o.id = a.subject_id) END AS paid_drop
    FROM audit_events AS a
    WHERE a.rowid > (SELECT COALESCE(MAX(last_rowid), 0) FROM webhook_cursor)
    ORDER BY a.rowid
    LIMIT ${limit}`);
  const last = rows.at(-1);
  if (last === undefined) return { scanned: 0, events: 0, deliveries: [], more: false, paidDrops: [] };
  const writes: Write[] = [];
  const returning: number[] = [];
  let events = 0;
  for (const row of rows) {
    const type = eventTypeFor(row.action);
    if (type === null || !row.wanted) continue;
    events += 1;
    const [event, deliveries] = eventWrites(db, row, type, now);
    if (event === undefined || deliveries === undefined) continue;
    writes.push(event);
    returning.push(writes.length);
    writes.push(deliveries);
  }
  writes.push(
    db
      .insert(webhookCursor)
      .values({ id: 1, lastRowid: last.rid, updatedAt: now })
      .onConflictDoUpdate({
        target: webhookCursor.id,
        set: { lastRowid: sql`MAX(${webhookCursor.lastRowid}, excluded.last_rowid)`, updatedAt: now },
      }),
  );
  const [first, ...rest] = writes;
  const results = first === undefined ? [] : await db.batch([first, ...rest]);
  const deliveries = returning.flatMap((i) => (results[i] as { id: string }[] | undefined) ?? []);
  return {
    scanned: rows.length,
    events,
    deliveries: deliveries.map((d) => d.id),
    more: rows.length === limit,
    paidDrops: [...new Set(rows.flatMap((r) => (r.paid_drop === null ? [] : [r.paid_drop])))],
  };
}

/** Dispatches pages until the log is read (at most `maxPages`), handing each page's deliveries on. */
export async function dispatch(
  db: Db,
  now: number,
  enqueue: (deliveryIds: string[]) => Promise<void>,
  maxPages = 10,
  soldOut?: SoldOutCheck,
): Promise<{ scanned: number; deliveries: number; more: boolean }> {
  let [scanned, deliveries, more] = [0, 0, true];
  for (let page = 0; page < maxPages && more; page++) {
    const result = await dispatchPage(db, now);
    scanned += result.scanned;
    deliveries += result.deliveries.length;
    more = result.more;
    if (result.deliveries.length > 0) await enqueue(result.deliveries);
    // A paid order may have taken a drop's last unit: its `drop.sold_out` row is read on the next page.
    if (soldOut !== undefined && result.paidDrops.length > 0) {
      const wrote = await Promise.all(result.paidDrops.map(soldOut));
      if (wrote.includes(true)) more = true;
    }
  }
  return { scanned, deliveries, more };
}
