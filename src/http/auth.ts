import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { AppError } from "../errors";
import { lastUsedWrite } from "../keys/last-used";
import { type LiveKey, liveKey } from "../keys/lookup";
import { requiredScope, scopesAllow } from "../keys/scopes";
import { creatorSuspended } from "../operator/standing";
import type { AppEnv, Tenant } from "./context";

const unauthenticated = (detail: string) =>
  new AppError("unauthenticated", detail, {
    headers: { "www-authenticate": 'Bearer realm="creator-commerce"' },
  });

/**
 * Admin routes: `Authorization: Bearer <secret or restricted key>` resolves to exactly one creator.
 * A publishable key, or a restricted key whose scopes do not cover the route, is 403
 * `insufficient_scope`; a suspended creator's key is 403 `creator_suspended` (docs/keys.md).
 */
export const requireApiKey = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization");
  if (header === undefined)
    throw unauthenticated("Send the creator's API key as `Authorization: Bearer <key>`.");
  const key = await keyOf(c, header);
  if (key.creatorSuspended) throw creatorSuspended();
  if (key.kind === "publishable") {
    throw new AppError(
      "insufficient_scope",
      "A publishable key (cc_pk_…) only names the creator on buyer routes; admin routes take a secret or restricted key.",
    );
  }
  const needed = requiredScope(c.req.method, c.req.routePath);
  if (!scopesAllow(key.scopes, needed)) {
    throw new AppError(
      "insufficient_scope",
      needed === null
        ? "Only a secret key (cc_sk_…) may call this route."
        : `This restricted key lacks the \`${needed}\` scope.`,
    );
  }
  c.set("tenant", tenantOfKey(key));
  noteUse(c, key);
  return next();
});

/**
 * Public routes a creator's own server or page may also call: with a key the caller is that creator
 * (`caller`, with the key's kind: a publishable key names the creator a buyer route must belong to),
 * and a key that is sent must be valid; without one the caller is an anonymous buyer.
 */
export const optionalApiKey = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization");
  if (header === undefined) {
    c.set("caller", null);
    return next();
  }
  const key = await keyOf(c, header);
  if (key.creatorSuspended) throw creatorSuspended();
  c.set("caller", tenantOfKey(key));
  noteUse(c, key);
  return next();
});

const tenantOfKey = (key: LiveKey): Tenant => ({
  creatorId: key.creatorId,
  actor: `api_key:${key.id}`,
  keyId: key.id,
  kind: key.kind,
  scopes: key.scopes,
});

/**
 * Records an accepted key's use off the request's path: at most one write per key per minute per
 * isolate (src/keys/last-used.ts). Without an execution context to outlive the answer (a test calling
 * app.fetch without one) nothing is written, rather than a write left floating past the request.
 */
function noteUse(c: Context<AppEnv>, key: LiveKey): void {
  let ctx: { waitUntil(promise: Promise<unknown>): void };
  try {
    ctx = c.executionCtx;
  } catch {
    return;
  }
  const write = lastUsedWrite(c.get("db"), key, c.get("clock").now());
  if (write !== null) ctx.waitUntil(write);
}

async function keyOf(c: Context<AppEnv>, header: string): Promise<LiveKey> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match?.[1] === undefined) throw unauthenticated("The Authorization header must use the Bearer scheme.");
  const key = await liveKey(c.get("db"), match[1], c.get("clock").now());
  if (key === undefined) throw unauthenticated("The API key is not valid.");
  return key;
}
