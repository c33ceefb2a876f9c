import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { ORIGINS_CACHE_MS } from "../../http/origins";
import { AllowedOriginsBody, AllowedOriginsSchema, putAllowedOrigins } from "../../origins/verbs";
import { IdempotencyHeaders, jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "put",
  path: "/v1/allowed-origins",
  tags: ["Buyer surfaces"],
  summary: "Replace the creator's allowed web origins (CORS and embedding)",
  description:
    "Browsers on these origins may call the creator's public buyer routes (quotes, holds, checkouts, tokens) " +
    "and embed its checkout pages (the widget). Stock and JWKS answer every origin; admin routes none. " +
    `The change reaches every location within ${ORIGINS_CACHE_MS / 1000} seconds.`,
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(200)] as const,
  request: { headers: IdempotencyHeaders, body: jsonBody(AllowedOriginsBody) },
  responses: { 200: jsonResponse("The new allow-list", AllowedOriginsSchema), ...adminWrite() },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await putAllowedOrigins({ ctx: tenantContext(c), input: c.req.valid("json") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
