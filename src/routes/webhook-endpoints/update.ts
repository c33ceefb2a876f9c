import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import type { AppEnv } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import {
  UpdateWebhookEndpointBody,
  type WebhookEndpoint,
  WebhookEndpointSchema,
} from "../../webhooks/schemas";
import { updateEndpoint } from "../../webhooks/verbs";
import { IdempotencyHeaders, IdParam, jsonBody, jsonResponse, type Register } from "../shared";
import { TAG, webhookContext } from "./shared";

export const route = createRoute({
  method: "patch",
  path: "/v1/webhook-endpoints/{id}",
  tags: [TAG],
  summary: "Update a webhook endpoint: URL, description, event types; disable it, or enable it again",
  description:
    "Disabling pauses its pending deliveries; enabling clears the reason (`creator`, `gone`, `failing`) and " +
    "resumes them at once, each from where its schedule stood.",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(200)] as const,
  request: {
    params: IdParam("Webhook endpoint id"),
    headers: IdempotencyHeaders,
    body: jsonBody(UpdateWebhookEndpointBody),
  },
  responses: { 200: jsonResponse("The updated endpoint", WebhookEndpointSchema), ...adminWrite(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(
    await updateEndpoint({
      ctx: webhookContext(c),
      input: { id: c.req.valid("param").id, changes: c.req.valid("json") },
    }),
    200,
  );

export const register: Register = (app) => app.openapi(route, handler);
export type UpdateWebhookEndpointRequest = z.input<typeof UpdateWebhookEndpointBody>;
export type UpdateWebhookEndpointResponse = WebhookEndpoint;
