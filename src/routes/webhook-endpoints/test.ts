import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import type { AppEnv } from "../../http/context";
import { bearerSecurity, problemResponses } from "../../http/openapi";
import { EmptyBody, type WebhookDelivery, WebhookDeliverySchema } from "../../webhooks/schemas";
import { sendTestEvent } from "../../webhooks/verbs";
import { IdParam, jsonBody, jsonResponse, type Register } from "../shared";
import { TAG, webhookContext } from "./shared";

export const route = createRoute({
  method: "post",
  path: "/v1/webhook-endpoints/{id}/test",
  tags: [TAG],
  summary: "Send a `webhook.test` event to this endpoint alone, signed and retried like any other",
  description:
    "Takes no Idempotency-Key: each call is one more test event. 409 while the endpoint is disabled.",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { params: IdParam("Webhook endpoint id"), body: jsonBody(EmptyBody) },
  responses: {
    202: jsonResponse("The test event's delivery", WebhookDeliverySchema),
    ...problemResponses(400, 401, 404, 409, 413, 415, 422, 500),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await sendTestEvent({ ctx: webhookContext(c), input: c.req.valid("param") }), 202);

export const register: Register = (app) => app.openapi(route, handler);
export type SendWebhookTestResponse = WebhookDelivery;
