/** Orders for the creator's reads and the CSV export: paid through the API, or written straight to D1 in bulk. */
import { expect } from "vitest";
import { orders } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { api, type Json } from "./api";
import { checkout, quotedDrop } from "./checkouts";
import { db, type Tenant } from "./tenants";

/** A paid order through the public API: a quote for a drop's unit, paid with 4242. */
export async function paidOrder(tenant: Tenant, body: Record<string, unknown> = {}) {
  const buyerId = crypto.randomUUID();
  const { drop, quote } = await quotedDrop(tenant, buyerId);
  const res = await checkout(
    { quote: quote.token, email: `${buyerId}@example.com`, payment_method: "4242424242424242", ...body },
    { buyerId },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { drop, checkout: res.body as Json, orderId: res.body.order_id as string };
}

/** A checkout the card declined (the sandbox's 4000 0000 0000 0002). */
export async function declinedCheckout(tenant: Tenant) {
  const buyerId = crypto.randomUUID();
  const { drop, quote } = await quotedDrop(tenant, buyerId);
  const res = await checkout(
    { quote: quote.token, email: `${buyerId}@example.com`, payment_method: "4000000000000002" },
    { buyerId },
  );
  expect(res.body.status, JSON.stringify(res.body)).toBe("failed");
  return { drop, checkout: res.body as Json };
}

export type OrderFields = Partial<typeof orders.$inferInsert>;

/**
 * `count` orders of `offerId` written straight to D1, as checkout would leave them paid; `fields(i)`
 * sets each one's columns (createdAt defaults to `at`). Answers their ids in insertion order.
 */
export async function insertOrders(
  tenant: Tenant,
  offerId: string,
  count: number,
  at: number,
  fields: (i: number) => OrderFields = () => ({}),
): Promise<string[]> {
  const rows = Array.from({ length: count }, (_, i) => ({
    id: newId("order"),
    creatorId: tenant.creatorId,
    email: `buyer-${i}@example.test`,
    offerId,
    quantity: 1,
    currency: "USD",
    amountTotal: 1000,
    status: "paid" as const,
    source: "link" as const,
    createdAt: at,
    updatedAt: at,
    paidAt: at,
    ...fields(i),
  }));
  for (let i = 0; i < rows.length; i += 100) {
    const [first, ...rest] = rows.slice(i, i + 100).map((r) => db.insert(orders).values(r));
    if (first !== undefined) await db.batch([first, ...rest]);
  }
  return rows.map((r) => r.id);
}

/** RFC 4180 parsing, for reading an export back: rows of fields, quotes undone. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += ch;
  }
  if (field !== "" || row.length > 0) rows.push([...row, field]);
  return rows;
}

/** The export as the API answers it, parsed: the header row and one record per order. */
export async function exportCsv(tenant: Tenant, query: string) {
  const res = await api("GET", `/v1/orders.csv?${query}`, { key: tenant.key });
  if (res.status !== 200) return { res, header: [] as string[], records: [] as Record<string, string>[] };
  const [header = [], ...lines] = parseCsv(res.body as string);
  const records = lines.map((cells) => Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ""])));
  return { res, header, records };
}

/** A callable property of `target`, bound to it (workerd's D1 objects refuse a Proxy as `this`). */
function bound(target: object, prop: PropertyKey): unknown {
  const value = Reflect.get(target, prop, target);
  return typeof value === "function" ? value.bind(target) : value;
}

/**
 * The real D1 binding, except that the `failing`-th run (1-based) of a statement whose SQL contains
 * `marker` fails as a lost connection would: a fault at the edge, aimed at one query by its text.
 */
export function failingNth(real: D1Database, marker: string, failing: number): D1Database {
  let runs = 0;
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(statement, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => wrap(target.bind(...values));
        if (prop === "all" || prop === "raw" || prop === "first" || prop === "run") {
          const call = bound(target, prop) as (...args: unknown[]) => Promise<unknown>;
          return (...args: unknown[]) => {
            runs += 1;
            if (runs === failing) return Promise.reject(new Error("D1_ERROR: Network connection lost."));
            return call(...args);
          };
        }
        return bound(target, prop);
      },
    });
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "prepare")
        return (query: string) =>
          query.includes(marker) ? wrap(target.prepare(query)) : target.prepare(query);
      return bound(target, prop);
    },
  });
}
