import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { PageQuerySchema, pageOf } from "../../http/pagination";
import { ApiKeySchema } from "../../keys/schemas";
import { listKeys } from "../../keys/verbs";
import { jsonResponse, type Register } from "../shared";
import { TAG } from "./shared";

const Page = pageOf(ApiKeySchema).openapi("ApiKeyList");

export const route = createRoute({
  method: "get",
  path: "/v1/api-keys",
  tags: [TAG],
  summary: "List the creator's API keys, newest first: revoked and rotated ones too, never a secret",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { query: PageQuerySchema },
  responses: { 200: jsonResponse("A page of keys", Page), ...adminRead(422) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await listKeys({ ctx: tenantContext(c), input: c.req.valid("query") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type ListApiKeysResponse = z.infer<typeof Page>;
