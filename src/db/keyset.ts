import { and, type Column, desc, eq, lt, or, type SQL } from "drizzle-orm";
import { invalid } from "../errors";

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
