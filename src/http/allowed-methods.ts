import type { Hono } from "hono";

/**
 * The methods registered for a path, for answering 405 with `Allow`. Consulted only from notFound, so a
 * matched request pays nothing: Hono's methodNotAllowed middleware wraps every request instead, and on
 * the reserve path that measured about 60 µs of CPU per request (see docs/benchmark.md).
 */
export function allowedMethodsFor(app: Hono<never>): (path: string) => string[] {
  let table: { pattern: RegExp; methods: Set<string> }[] | undefined;
  return (path) => {
    table ??= compile(app.routes);
    const allowed = new Set<string>();
    for (const { pattern, methods } of table) if (pattern.test(path)) for (const m of methods) allowed.add(m);
    return [...allowed];
  };
}

function compile(routes: readonly { method: string; path: string }[]) {
  const byPath = new Map<string, Set<string>>();
  for (const { method, path } of routes) {
    if (method === "ALL" || method === "OPTIONS") continue; // middleware and preflights, not routes
    const methods = byPath.get(path) ?? new Set<string>();
    methods.add(method);
    if (method === "GET") methods.add("HEAD");
    byPath.set(path, methods);
  }
  return [...byPath].map(([path, methods]) => ({
    pattern: new RegExp(`^${path.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/:[^/]+/g, "[^/]+")}/?$`),
    methods,
  }));
}
