import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { entitlementKeys, publishedAt } from "../../entitlements/keys";
import { JwksSchema } from "../../entitlements/schemas";
import type { AppEnv } from "../../http/context";
import { problemResponses } from "../../http/openapi";
import { jsonResponse, type Register } from "../shared";

/**
 * Verifiers may cache the set for 5 minutes. A rotation publishes the next key at least that long
 * before it signs anything, and keeps a retired key until every token it signed has expired.
 */
export const JWKS_MAX_AGE_SECONDS = 300;

export const route = createRoute({
  method: "get",
  path: "/.well-known/jwks.json",
  tags: ["Entitlements"],
  summary: "The public keys that verify entitlement tokens (RFC 7517 JWK Set)",
  description:
    "Ed25519 keys (`alg` EdDSA). A retiring key carries `exp`: tokens it signed stop verifying then.",
  responses: { 200: jsonResponse("The key set", JwksSchema), ...problemResponses(500) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const keys = await entitlementKeys(c.get("config").ENTITLEMENT_SIGNING_KEYS);
  c.header("cache-control", `public, max-age=${JWKS_MAX_AGE_SECONDS}, stale-while-revalidate=60`);
  c.header("access-control-allow-origin", "*");
  return c.json({ keys: publishedAt(keys, c.get("clock").now()) }, 200);
};

export const register: Register = (app) => app.openapi(route, handler);
