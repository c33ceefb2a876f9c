import { and, type Column, desc, eq, lt, or, type SQL } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { invalid } from "../errors";
import type { Db } from "./client";

export const MAX_PAGE_SIZE = 100;

/** A position in a list ordered newest first by (time, id): opaque to clients, base64url JSON. */
interface Cursor {
  t: number;
  id: string;
}

const encodeCursor = (c: Cursor): string => btoa(JSON.stringify([c.t, c.id])).replaceAll("=", "");

function decodeCursor(raw: string): Cursor {
  try {
    const parsed: unknown = JSON.parse(atob(raw));
    if (Array.isArray(parsed) && Number.isSafeInteger(parsed[0]) && typeof parsed[1] === "string") {
      return { t: parsed[0], id: parsed[1] };
    }
  } catch {
    // falls through to the validation error below
  }
  throw invalid([{ in: "query", path: "/cursor", message: "Not a cursor this API issued" }]);
}

/**
 * Keyset pagination, newest first. Returns the WHERE fragment and ORDER BY for the page after the
 * cursor, and a function that trims the over-fetched row and builds the page.
 */
export function keyset(time: Column, id: Column, query: { limit: number; cursor?: string | undefined }) {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const where: SQL | undefined =
    after === undefined ? undefined : or(lt(time, after.t), and(eq(time, after.t), lt(id, after.id)));
  return {
    where,
    orderBy: [desc(time), desc(id)],
    fetch: query.limit + 1,
    page<Row, Item>(rows: Row[], position: (row: Row) => Cursor, render: (row: Row) => Item) {
      const items = rows.slice(0, query.limit);
      const last = items.at(-1);
      const hasMore = rows.length > query.limit && last !== undefined;
      return {
        object: "list" as const,
        data: items.map(render),
        has_more: hasMore,
        next_cursor: hasMore ? encodeCursor(position(last)) : null,
      };
    },
  };
}

type Owned = SQLiteTable & { creatorId: SQLiteColumn; id: SQLiteColumn };

/**
 * One page of a creator's rows from `table`, newest first by (`time`, id), narrowed by `filter`. Every
 * admin list is this query; the caller renders the rows.
 */
export async function listOwned<T extends Owned>(
  db: Db,
  table: T,
  options: {
    time: SQLiteColumn;
    creatorId: string;
    filter: SQL | undefined;
    query: { limit: number; cursor?: string | undefined };
    position: (row: T["$inferSelect"]) => Cursor;
  },
) {
  const page = keyset(options.time, table.id, options.query);
  const rows = (await db
    .select()
    .from(table as SQLiteTable)
    .where(and(eq(table.creatorId, options.creatorId), options.filter, page.where))
    .orderBy(...page.orderBy)
    .limit(page.fetch)) as T["$inferSelect"][];
  return page.page(rows, options.position, (row) => row);
}
