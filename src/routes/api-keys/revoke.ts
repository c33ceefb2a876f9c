import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { type ApiKey, ApiKeySchema } from "../../keys/schemas";
import { revokeKey } from "../../keys/verbs";
import { IdempotencyHeaders, IdParam, jsonResponse, type Register } from "../shared";
import { TAG } from "./shared";

export const route = createRoute({
  method: "delete",
  path: "/v1/api-keys/{id}",
  tags: [TAG],
  summary: "Revoke an API key at once: its very next request is 401 (the calling key may revoke itself)",
  description: "Revoking a key that is already revoked changes nothing and answers it as it is.",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(200)] as const,
  request: { params: IdParam("API key id"), headers: IdempotencyHeaders },
  responses: { 200: jsonResponse("The revoked key", ApiKeySchema), ...adminWrite(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await revokeKey({ ctx: tenantContext(c), input: c.req.valid("param") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type RevokeApiKeyResponse = ApiKey;
