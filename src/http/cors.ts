/**
 * CORS, decided per creator (docs/cors.md). Three kinds of route:
 *
 * - Public read-only data (stock, JWKS): `Access-Control-Allow-Origin: *`; nothing there is anyone's.
 * - Public buyer routes (price, quotes, holds, checkouts, receipts, tokens, sign-in, the member's own
 *   routes): a browser on another origin is answered only when the creator whose offer, drop, checkout,
 *   order or token the request names allows that origin (PUT /v1/allowed-origins). A disallowed origin
 *   is refused with 403 before the route runs, so nothing is written for it.
 * - Everything else (the admin API, device-signed POS routes, Stripe's webhook): a request from a
 *   browser on another origin is refused with 403 and never carries CORS headers, so a page elsewhere
 *   can neither call nor read them, API key or not.
 *
 * A preflight carries no body, so it cannot name the creator: it is answered for a public route when
 * some creator allows the origin, and the actual request is then decided for the creator it names.
 * Requests with no Origin header (servers, curl, apps) and from this worker's own origin (its hosted
 * page and overlay) are never affected.
 */

import type { OpenAPIHono } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import type { Context, MiddlewareHandler } from "hono";
import type { Db } from "../db/client";
import { type OwnedTable, ownerOf } from "../db/owners";
import { checkouts, creatorOrigins, drops, offers, orders, refreshCredentials } from "../db/schema";
import { AppError } from "../errors";
import { sha256Hex } from "../lib/crypto";
import type { AppEnv } from "./context";
import { problemResponses } from "./openapi";
import { ORIGIN_PATTERN, ORIGINS_CACHE_MS, originAllowed } from "./origins";
import { problemResponse } from "./problem";

/** The request headers the typed client, the widget and creators' front ends send. */
export const ALLOWED_REQUEST_HEADERS =
  "authorization, content-type, buyer-id, buyer-token, admission-token, buyer-country, idempotency-key, checkout-secret, last-event-id";
const EXPOSED_HEADERS =
  "request-id, age, retry-after, idempotency-replayed, location, ratelimit, ratelimit-policy";
const PREFLIGHT_MAX_AGE_S = 600;

type CreatorOf = (c: Context<AppEnv>) => Promise<string | null>;
export type CorsPolicy = { kind: "any" } | { kind: "creator"; creatorOf: CreatorOf };

// ---- Who a request belongs to: from the ids it names (db/owners.ts keeps what it learns).

/** The `aud` of a compact JWS, unverified: enough to pick CORS headers; the route verifies the token. */
function audienceOf(token: unknown): string | null {
  if (typeof token !== "string") return null;
  const part = token.split(".")[1];
  if (part === undefined || part.length > 8192) return null;
  try {
    const json = JSON.parse(atob(part.replaceAll("-", "+").replaceAll("_", "/"))) as { aud?: unknown };
    return typeof json.aud === "string" ? creatorOfAudience(json.aud) : null;
  } catch {
    return null;
  }
}

/** An audience is the creator (`cre_…`) or one of its surfaces (`cre_…:overlay`). */
const creatorOfAudience = (audience: unknown): string | null =>
  typeof audience === "string" && audience.startsWith("cre_") ? (audience.split(":")[0] ?? null) : null;

/** The JSON body's field, or undefined when there is no parseable object body (the route answers that). */
async function bodyField(c: Context<AppEnv>, field: string): Promise<unknown> {
  try {
    // Read as text, which Hono keeps: the route's validator and the idempotency hash then see the
    // exact bytes sent, not a re-serialisation of parsed JSON.
    const body = JSON.parse(await c.req.text()) as unknown;
    return typeof body === "object" && body !== null ? (body as Record<string, unknown>)[field] : undefined;
  } catch {
    return undefined;
  }
}

const byParam =
  (table: OwnedTable): CreatorOf =>
  (c) =>
    ownerOf(c.get("db"), table, c.req.param("id"));
const byBodyId =
  (table: OwnedTable, field: string): CreatorOf =>
  async (c) =>
    ownerOf(c.get("db"), table, await bodyField(c, field));
const byBodyToken =
  (field: string): CreatorOf =>
  async (c) =>
    audienceOf(await bodyField(c, field));
const byBodyAudience =
  (field: string): CreatorOf =>
  async (c) =>
    creatorOfAudience(await bodyField(c, field));
const byBearer: CreatorOf = async (c) =>
  audienceOf(/^Bearer\s+(\S+)/i.exec(c.req.header("authorization") ?? "")?.[1]);
/** A refresh credential names no creator; its row does (looked up by hash, as the exchange does). */
const byRefreshCredential: CreatorOf = async (c) => {
  const credential = await bodyField(c, "refresh_token");
  if (typeof credential !== "string" || credential.length > 256) return null;
  const [row] = await c
    .get("db")
    .select({ creatorId: refreshCredentials.creatorId })
    .from(refreshCredentials)
    .where(eq(refreshCredentials.secretHash, await sha256Hex(credential)))
    .limit(1);
  return row?.creatorId ?? null;
};

const any: CorsPolicy = { kind: "any" };
const creator = (creatorOf: CreatorOf): CorsPolicy => ({ kind: "creator", creatorOf });

/** The public routes and how each finds its creator. A route not listed here refuses other origins. */
export const corsPolicies: Record<string, CorsPolicy> = {
  "GET /v1/drops/{id}/stock": any,
  "GET /.well-known/jwks.json": any,
  // The widget's script: a classic <script src> sends no Origin, a module or crossorigin load does.
  "GET /embed.js": any,
  // A buyer token names nobody's data and is bounded per connecting IP, whichever page asks.
  "POST /v1/buyer-tokens": any,
  "GET /v1/buyer-tokens/challenge": any,
  "GET /v1/offers/{id}/price": creator(byParam(offers)),
  "POST /v1/quotes": creator(byBodyId(offers, "offer_id")),
  "POST /v1/quotes/verify": creator(byBodyToken("token")),
  "POST /v1/drops/{id}/holds": creator(byParam(drops)),
  "GET /v1/drops/{id}/holds/{holdId}": creator(byParam(drops)),
  "DELETE /v1/drops/{id}/holds/{holdId}": creator(byParam(drops)),
  "POST /v1/drops/{id}/queue": creator(byParam(drops)),
  "GET /v1/drops/{id}/queue/{ticketId}": creator(byParam(drops)),
  "POST /v1/checkouts": creator(byBodyToken("quote")),
  "GET /v1/checkouts/{id}": creator(byParam(checkouts)),
  "POST /v1/checkouts/{id}/confirm": creator(byParam(checkouts)),
  "GET /v1/orders/{id}/receipt": creator(byParam(orders)),
  "POST /v1/entitlements/token": creator(byRefreshCredential),
  "POST /v1/entitlements/verify": creator(byBodyAudience("audience")),
  "POST /v1/sign-in/email": creator(byBodyAudience("creator_id")),
  "POST /v1/sign-in/email/verify": creator(byBodyAudience("creator_id")),
  "GET /v1/me/subscriptions": creator(byBearer),
  "POST /v1/me/subscriptions": creator(byBearer),
  "PATCH /v1/me/subscriptions/{id}": creator(byBearer),
  "POST /v1/me/subscriptions/{id}/change-quotes": creator(byBearer),
  "POST /v1/me/subscriptions/{id}/tier-changes": creator(byBearer),
};

/**
 * Routes that answer browsers on other origins themselves (the stock stream checks a WebSocket's
 * Origin, which CORS does not cover, and adds CORS headers to its event stream).
 */
const selfManaged = new Set([
  "GET /v1/drops/{id}/stream",
  // Pages: a navigation or an iframe sends no Origin; the hosted page decides embedding itself (its
  // frame-ancestors, from the same allow-list).
  "GET /l/{id}",
  "GET /overlay/{id}",
]);

const foreignOrigin = (c: Context<AppEnv>): string | undefined => {
  const origin = c.req.header("origin");
  return origin === undefined || origin === new URL(c.req.url).origin ? undefined : origin;
};

const refused = (origin: string, what: string) =>
  new AppError("origin_not_allowed", `${what} does not answer browsers on ${origin.slice(0, 200)}.`);

function allowOrigin(c: Context<AppEnv>, value: string): void {
  c.res.headers.set("access-control-allow-origin", value);
  c.res.headers.set("access-control-expose-headers", EXPOSED_HEADERS);
  if (value !== "*") c.res.headers.append("vary", "Origin");
}

/** The middleware registered ahead of one route (app.ts): its CORS policy, or refusal of other origins. */
export function corsFor(method: string, path: string): MiddlewareHandler<AppEnv> | null {
  const key = `${method.toUpperCase()} ${path}`;
  if (selfManaged.has(key)) return null;
  const policy = corsPolicies[key];
  if (policy === undefined) {
    return async (c, next) => {
      const origin = foreignOrigin(c);
      if (origin !== undefined) throw refused(origin, "This route is for the creator's servers: it");
      await next();
    };
  }
  if (policy.kind === "any") {
    return async (c, next) => {
      await next();
      if (c.req.header("origin") !== undefined) allowOrigin(c, "*");
    };
  }
  return async (c, next) => {
    const origin = foreignOrigin(c);
    if (origin === undefined) return next();
    const creatorId = await policy.creatorOf(c);
    // Names nothing this worker knows: the route answers that (404, 422), readable by no other origin.
    if (creatorId === null) return next();
    if (!(await originAllowed(c.get("db"), creatorId, origin, new URL(c.req.url).origin))) {
      // The refusal itself is readable, so the page's developer sees why; nothing ran.
      const error = refused(origin, "This creator's checkout");
      c.res = problemResponse(c, error);
      allowOrigin(c, origin);
      return;
    }
    await next();
    allowOrigin(c, origin);
  };
}

// ---- Preflights.

const compiled = Object.entries(corsPolicies).map(([key, policy]) => {
  const [method, path] = key.split(" ") as [string, string];
  return { method, pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, "[^/]+")}$`), policy };
});

let anyCreatorAllows = new Map<string, { allowed: boolean; at: number }>();

/** Whether some creator allows `origin`: a preflight cannot say which creator it is for. */
async function someCreatorAllows(db: Db, origin: string, now: number): Promise<boolean> {
  const hit = anyCreatorAllows.get(origin);
  if (hit !== undefined && now - hit.at < ORIGINS_CACHE_MS) return hit.allowed;
  const [row] = await db
    .select({ origin: creatorOrigins.origin })
    .from(creatorOrigins)
    .where(eq(creatorOrigins.origin, origin))
    .limit(1);
  if (anyCreatorAllows.size >= 10_000) anyCreatorAllows = new Map();
  anyCreatorAllows.set(origin, { allowed: row !== undefined, at: now });
  return row !== undefined;
}

/**
 * OPTIONS on any path. A public route's preflight is answered 204 for an origin some creator allows
 * (`*` for public data); an admin route's with 403 and no CORS headers; an unknown path 404.
 */
export function preflight(isRoute: (path: string) => boolean): MiddlewareHandler<AppEnv> {
  return async (c) => {
    const origin = c.req.header("origin");
    const path = c.req.path;
    const matches = compiled.filter((r) => r.pattern.test(path));
    if (matches.length === 0) {
      if (!isRoute(path)) throw new AppError("not_found", `No route for OPTIONS ${path}.`);
      throw refused(origin ?? "other origins", "This route is for the creator's servers: it");
    }
    const asked = c.req.header("access-control-request-method")?.toUpperCase();
    const publicData = matches.every((r) => r.policy.kind === "any");
    const allowed =
      origin !== undefined &&
      ORIGIN_PATTERN.test(origin) &&
      (publicData || (await someCreatorAllows(c.get("db"), origin, Date.now())));
    if (!allowed || (asked !== undefined && !matches.some((r) => r.method === asked))) {
      throw refused(origin ?? "other origins", "No creator's checkout");
    }
    const methods = [...new Set(matches.map((r) => r.method))].join(", ");
    return c.body(null, 204, {
      "access-control-allow-origin": publicData ? "*" : origin,
      "access-control-allow-methods": methods,
      "access-control-allow-headers": ALLOWED_REQUEST_HEADERS,
      "access-control-max-age": String(PREFLIGHT_MAX_AGE_S),
      vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
    });
  };
}

/** Every route that can refuse an origin documents its 403, so documented statuses stay the real ones. */
export function documentCorsErrors(registry: OpenAPIHono<AppEnv>["openAPIRegistry"]): void {
  for (const definition of registry.definitions) {
    if (definition.type !== "route") continue;
    const key = `${definition.route.method.toUpperCase()} ${definition.route.path}`;
    if (selfManaged.has(key) || corsPolicies[key]?.kind === "any") continue;
    definition.route = {
      ...definition.route,
      responses: { ...definition.route.responses, ...problemResponses(403) },
    };
  }
}
