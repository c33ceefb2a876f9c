/**
 * Meters for what Cloudflare bills a request for, wrapped around the real bindings (tests only): D1 rows
 * read and written (from each result's `meta`, the figures D1 bills), Durable Object requests (each RPC
 * call or fetch on a stub is one billed request), queue messages sent, and Rate Limiting binding calls.
 * Nothing is mocked: every call reaches the real binding, and its answer is the real one.
 * Used by test/integration/checkout-cost.test.ts for the cost table in docs/deploy.md.
 */

export interface D1Usage {
  /** Rows read and written by our own tables. */
  read: number;
  written: number;
  /** Rows the sandbox payment provider's tables (sandbox_*) cost: they stand in for Stripe's API. */
  providerRead: number;
  providerWritten: number;
  queries: { sql: string; read: number; written: number }[];
}

type Meta = { rows_read?: number; rows_written?: number };

/** A callable property of `target`, bound to it (workerd's binding objects refuse a Proxy as `this`). */
function bound(target: object, prop: PropertyKey): unknown {
  const value = Reflect.get(target, prop, target);
  return typeof value === "function" ? value.bind(target) : value;
}

const isRead = (sql: string) => /^\s*select\b/i.test(sql);

/**
 * The real D1 binding, adding up `meta.rows_read` / `meta.rows_written` of every statement it runs.
 * `first()` and `raw()` return no meta, so `first()` runs as `all()` (the same statement, the same rows),
 * and a SELECT's `raw()` runs as itself for its answer and once more as `all()` for its meta (a read
 * twice changes nothing); any other `raw()` runs as `all()` with its rows turned into arrays.
 */
export function meteredD1(real: D1Database) {
  const usage: D1Usage = { read: 0, written: 0, providerRead: 0, providerWritten: 0, queries: [] };
  const note = (sql: string, meta: Meta | undefined) => {
    const read = meta?.rows_read ?? 0;
    const written = meta?.rows_written ?? 0;
    if (/\bsandbox_/.test(sql)) {
      usage.providerRead += read;
      usage.providerWritten += written;
    } else {
      usage.read += read;
      usage.written += written;
    }
    usage.queries.push({ sql: sql.replace(/\s+/g, " ").slice(0, 90), read, written });
  };
  const sqlOf = new WeakMap<object, string>();
  const realOf = new WeakMap<object, D1PreparedStatement>();
  const wrap = (statement: D1PreparedStatement, sql: string): D1PreparedStatement => {
    const proxy = new Proxy(statement, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => wrap(target.bind(...values), sql);
        if (prop === "all" || prop === "run") {
          return async () => {
            const result = await (prop === "all" ? target.all() : target.run());
            note(sql, result.meta as Meta);
            return result;
          };
        }
        if (prop === "first") {
          return async (column?: string) => {
            const result = await target.all<Record<string, unknown>>();
            note(sql, result.meta as Meta);
            const row = result.results[0];
            if (row === undefined) return null;
            return column === undefined ? row : (row[column] ?? null);
          };
        }
        if (prop === "raw") {
          return async (options?: { columnNames?: boolean }) => {
            if (isRead(sql)) {
              const rows = await target.raw(options as { columnNames: true });
              note(sql, (await target.all()).meta as Meta);
              return rows;
            }
            const result = await target.all<Record<string, unknown>>();
            note(sql, result.meta as Meta);
            const rows = result.results.map((r) => Object.values(r));
            const first = result.results[0];
            return options?.columnNames ? [first === undefined ? [] : Object.keys(first), ...rows] : rows;
          };
        }
        return bound(target, prop);
      },
    });
    sqlOf.set(proxy, sql);
    realOf.set(proxy, statement);
    return proxy;
  };
  const binding = new Proxy(real, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => wrap(target.prepare(sql), sql);
      if (prop === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          const results = await target.batch(statements.map((s) => realOf.get(s) ?? s));
          results.forEach((r, i) => {
            note(sqlOf.get(statements[i] as object) ?? "batch", r.meta as Meta);
          });
          return results;
        };
      }
      return bound(target, prop);
    },
  }) as D1Database;
  return { binding, usage };
}

/** Billed Durable Object requests, by `<binding>.<method>`. */
export type DoCalls = Map<string, number>;

const PASS_THROUGH = new Set<PropertyKey>(["then", "id", "name", "constructor"]);

/**
 * A Durable Object namespace whose stubs count their calls into `calls`: each RPC method call and each
 * `fetch` is one billed request (docs: "every RPC method call on a Durable Objects stub is its own RPC
 * session and therefore a single billed request"). Calls the objects make to each other are not seen.
 */
export function meteredNamespace<T extends object>(name: string, real: T, calls: DoCalls): T {
  const stub = (s: object) =>
    new Proxy(s, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof prop === "symbol" || PASS_THROUGH.has(prop) || typeof value !== "function") return value;
        return (...args: unknown[]) => {
          const key = `${name}.${String(prop)}`;
          calls.set(key, (calls.get(key) ?? 0) + 1);
          // Reflect.apply: an RPC method is a proxy that would take `.apply` for a remote method's name.
          return Reflect.apply(value, target, args);
        };
      },
    });
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "get" || prop === "getByName") {
        return (...args: unknown[]) => stub((bound(target, prop) as (...a: unknown[]) => object)(...args));
      }
      return bound(target, prop);
    },
  });
}

/** A queue binding counting the messages sent through it (each is a write operation, then a read and a delete). */
export function meteredQueue<T extends Queue>(real: T) {
  const sent = { messages: 0 };
  const queue = new Proxy(real, {
    get(target, prop) {
      if (prop === "send") {
        return (...args: Parameters<Queue["send"]>) => {
          sent.messages += 1;
          return target.send(...args);
        };
      }
      if (prop === "sendBatch") {
        return (messages: Parameters<Queue["sendBatch"]>[0], ...rest: unknown[]) => {
          sent.messages += [...messages].length;
          return (target.sendBatch as (...a: unknown[]) => Promise<unknown>)(messages, ...rest);
        };
      }
      return bound(target, prop);
    },
  });
  return { queue, sent };
}

/** A Rate Limiting binding counting its `limit()` calls. */
export function meteredLimiter<T extends RateLimit>(real: T) {
  const seen = { calls: 0 };
  const limiter = new Proxy(real, {
    get(target, prop) {
      if (prop === "limit") {
        return (options: { key: string }) => {
          seen.calls += 1;
          return target.limit(options);
        };
      }
      return bound(target, prop);
    },
  });
  return { limiter, seen };
}
