import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import type { AppEnv } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { EmptyBody, type WebhookDelivery, WebhookDeliverySchema } from "../../webhooks/schemas";
import { redeliver } from "../../webhooks/verbs";
import { IdempotencyHeaders, IdParam, jsonBody, jsonResponse, type Register } from "../shared";
import { TAG, webhookContext } from "./shared";

export const route = createRoute({
  method: "post",
  path: "/v1/webhook-deliveries/{id}/redeliver",
  tags: [TAG],
  summary: "Send a delivery again, from the start of the retry schedule (same event id, seq and payload)",
  description:
    "409 while its endpoint is disabled. The receiver sees the same `webhook-id`, so it can deduplicate.",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(202)] as const,
  request: { params: IdParam("Webhook delivery id"), headers: IdempotencyHeaders, body: jsonBody(EmptyBody) },
  responses: { 202: jsonResponse("The delivery, pending again", WebhookDeliverySchema), ...adminWrite(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await redeliver({ ctx: webhookContext(c), input: c.req.valid("param") }), 202);

export const register: Register = (app) => app.openapi(route, handler);
export type RedeliverWebhookResponse = WebhookDelivery;
