import { and, eq, isNull } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import type { Db } from "../db/client";
import { apiKeys } from "../db/schema";
import { AppError } from "../errors";
import { hashApiKey } from "../lib/api-keys";
import type { AppEnv, Tenant } from "./context";

const unauthenticated = (detail: string) =>
  new AppError("unauthenticated", detail, {
    headers: { "www-authenticate": 'Bearer realm="creator-commerce"' },
  });

/** Admin routes: `Authorization: Bearer <api key>` resolves to exactly one creator. */
export const requireApiKey = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization");
  if (header === undefined)
    throw unauthenticated("Send the creator's API key as `Authorization: Bearer <key>`.");
  c.set("tenant", await tenantOf(c.get("db"), header));
  return next();
});

/**
 * Public routes a creator's own server may also call: with an API key the caller is that creator
 * (`caller`), and a key that is sent must be valid; without one the caller is an anonymous buyer.
 */
export const optionalApiKey = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization");
  c.set("caller", header === undefined ? null : await tenantOf(c.get("db"), header));
  return next();
});

async function tenantOf(db: Db, header: string): Promise<Tenant> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match?.[1] === undefined) throw unauthenticated("The Authorization header must use the Bearer scheme.");
  const [key] = await db
    .select({ id: apiKeys.id, creatorId: apiKeys.creatorId })
    .from(apiKeys)
    .where(and(eq(apiKeys.hash, await hashApiKey(match[1])), isNull(apiKeys.revokedAt)))
    .limit(1);
  if (key === undefined) throw unauthenticated("The API key is not valid.");
  return { creatorId: key.creatorId, actor: `api_key:${key.id}` };
}
