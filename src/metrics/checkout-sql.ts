/**
 * What the checkout-side KPIs share: the SQL for a UTC day, the days of exposure counters a range reads,
 * and the check that a `drop_id` filter names one of the caller's drops (another creator's is 404).
 * Every query starts from one creator's index range (checkouts, orders by created_at or paid_at, or the
 * counters' primary key); none loads rows one by one into the worker.
 */
import { and, eq, type SQL, sql } from "drizzle-orm";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import type { TenantContext } from "../context";
import type { Db } from "../db/client";
import { drops } from "../db/schema";
import { notFound } from "../errors";
import type { Range } from "./range";

/** SQL: the UTC day (`YYYY-MM-DD`) of an epoch-ms column. */
export const utcDay = (column: string): SQL => sql.raw(`strftime('%Y-%m-%d', ${column} / 1000, 'unixepoch')`);

/**
 * Counters are daily rows: a range reads every UTC day it touches, so a range that starts or ends inside
 * a day counts that whole day's exposures. The marker rows' day ('flush') sorts after every date.
 */
export const counterDays = (column: string, range: Range): SQL =>
  sql`${sql.raw(column)} >= ${range.days[0] ?? ""} AND ${sql.raw(column)} <= ${range.days.at(-1) ?? ""}`;

/** Nearest-rank percentile over window columns: the value whose 1-based rank is ⌈p·n/100⌉. */
export const nearestRank = (rank: string, count: string, p: number): SQL =>
  sql.raw(`MAX(CASE WHEN ${rank} = (${count} * ${p} + 99) / 100 THEN ms END)`);

/** 404 unless the drop is the caller's: a filter on another creator's drop never answers zeros. */
export async function assertOwnDrop(
  ctx: Pick<TenantContext, "db" | "creatorId">,
  dropId: string | undefined,
) {
  if (dropId === undefined) return;
  const [row] = await ctx.db
    .select({ id: drops.id })
    .from(drops)
    .where(and(eq(drops.creatorId, ctx.creatorId), eq(drops.id, dropId)))
    .limit(1);
  if (row === undefined) throw notFound("drop", dropId);
}

/** A group key for a breakdown row: '' (not applicable) reads as `none`. */
export const groupValue = (v: unknown): string => (typeof v === "string" && v !== "" ? v : "none");

const dialect = new SQLiteAsyncDialect();
type Rows<T extends unknown[]> = { [K in keyof T]: T[K][] };

/**
 * Several read-only aggregates in one D1 round trip (drizzle's batch takes no raw `all`): each query's
 * rows, in order. Every query here is one creator's aggregate, so its rows are few.
 */
export async function readBatch<T extends unknown[]>(
  db: Db,
  queries: { [K in keyof T]: SQL },
): Promise<Rows<T>> {
  const d1 = db.$client;
  const statements = queries.map((q) => {
    const { sql: text, params } = dialect.sqlToQuery(q);
    return d1.prepare(text).bind(...params);
  });
  const results = await d1.batch(statements);
  return results.map((r) => r.results) as Rows<T>;
}
