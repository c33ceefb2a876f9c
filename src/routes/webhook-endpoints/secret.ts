import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { type WebhookSecret, WebhookSecretSchema } from "../../webhooks/schemas";
import { getEndpointSecret } from "../../webhooks/verbs";
import { IdParam, jsonResponse, type Register } from "../shared";
import { TAG } from "./shared";

export const route = createRoute({
  method: "get",
  path: "/v1/webhook-endpoints/{id}/secret",
  tags: [TAG],
  summary: "Read a webhook endpoint's current signing secret (`whsec_…`), to configure its receiver",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { params: IdParam("Webhook endpoint id") },
  responses: { 200: jsonResponse("The secret", WebhookSecretSchema), ...adminRead(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await getEndpointSecret({ ctx: tenantContext(c), input: c.req.valid("param") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type GetWebhookSecretResponse = WebhookSecret;
