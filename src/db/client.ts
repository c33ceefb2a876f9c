import { sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

const open = (d1: D1Database) => drizzle(d1, { schema });
export type Db = ReturnType<typeof open>;

// One drizzle instance per binding per isolate: building one maps the whole schema, too much per request.
const instances = new WeakMap<D1Database, Db>();
export function database(d1: D1Database): Db {
  let db = instances.get(d1);
  if (db === undefined) {
    db = open(d1);
    instances.set(d1, db);
  }
  return db;
}
/** One statement of a D1 batch; a batch lands all of its statements or none. */
export type Write = BatchItem<"sqlite">;

/** Runs writes as one D1 batch (D1's only form of transaction). */
export async function runBatch(db: Db, writes: Write[]): Promise<void> {
  const [first, ...rest] = writes;
  if (first === undefined) return;
  await db.batch([first, ...rest]);
}

/**
 * A batch statement that fails, and so rolls back the whole batch, unless the statement just before it
 * changed exactly one row. SQLite has no RAISE outside triggers; `json()` of an invalid string is the
 * portable way to raise an error from plain SQL.
 */
export const expectOneChange = (db: Db): Write =>
  db.run(sql`SELECT CASE WHEN changes() = 1 THEN 1 ELSE json('expected exactly one changed row') END`);

/** D1 binds at most this many parameters per statement; a larger statement fails as a whole. */
export const MAX_BOUND_PARAMETERS = 100;

/**
 * Values for `IN (…)` lists, at most 90 to a list: the rest of D1's 100 bound parameters stay free for
 * the statement's other conditions. A lookup by many ids runs once per chunk.
 */
export function inChunks<T>(values: readonly T[], size = 90): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < values.length; start += size) chunks.push(values.slice(start, start + size));
  return chunks;
}

/**
 * A multi-row insert as as many statements as D1's parameter limit needs: each row binds one parameter
 * per field it carries. Put the result in the same batch, so the rows still land all or none.
 */
export function insertInChunks<Row extends object>(
  rows: Row[],
  insert: (chunk: Row[]) => Write,
  /** Parameters per row when drizzle binds more than the row's own fields (column defaults): the table's column count. */
  columns?: number,
): Write[] {
  const width = columns ?? Math.max(1, ...rows.map((row) => Object.keys(row).length));
  const perStatement = Math.max(1, Math.floor(MAX_BOUND_PARAMETERS / width));
  const writes: Write[] = [];
  for (let start = 0; start < rows.length; start += perStatement) {
    writes.push(insert(rows.slice(start, start + perStatement)));
  }
  return writes;
}
