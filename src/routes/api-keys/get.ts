import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { type ApiKey, ApiKeySchema } from "../../keys/schemas";
import { getKey } from "../../keys/verbs";
import { IdParam, jsonResponse, type Register } from "../shared";
import { TAG } from "./shared";

export const route = createRoute({
  method: "get",
  path: "/v1/api-keys/{id}",
  tags: [TAG],
  summary: "Read an API key: its kind, scopes, prefix, last use and end (never its secret)",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { params: IdParam("API key id") },
  responses: { 200: jsonResponse("The key", ApiKeySchema), ...adminRead(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await getKey({ ctx: tenantContext(c), input: c.req.valid("param") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type GetApiKeyResponse = ApiKey;
