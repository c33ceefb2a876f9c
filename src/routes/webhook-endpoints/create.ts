import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import type { AppEnv } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import {
  CreateWebhookEndpointBody,
  type WebhookEndpointWithSecret,
  WebhookEndpointWithSecretSchema,
} from "../../webhooks/schemas";
import { createEndpoint } from "../../webhooks/verbs";
import { IdempotencyHeaders, jsonBody, jsonResponse, type Register } from "../shared";
import { TAG, webhookContext, withSecret } from "./shared";

export const route = createRoute({
  method: "post",
  path: "/v1/webhook-endpoints",
  tags: [TAG],
  summary: "Register a webhook endpoint: signed Standard Webhooks deliveries of the creator's events",
  description:
    "Answers the endpoint with its `whsec_` signing secret (also readable later at `GET /v1/webhook-endpoints/{id}/secret`). " +
    "It receives the events that happen from now on; docs/webhooks.md lists the types and how to verify them.",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(201, { replay: withSecret })] as const,
  request: { headers: IdempotencyHeaders, body: jsonBody(CreateWebhookEndpointBody) },
  responses: {
    201: jsonResponse("The new endpoint and its secret", WebhookEndpointWithSecretSchema),
    ...adminWrite(),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await createEndpoint({ ctx: webhookContext(c), input: c.req.valid("json") }), 201);

export const register: Register = (app) => app.openapi(route, handler);
export type CreateWebhookEndpointRequest = z.input<typeof CreateWebhookEndpointBody>;
export type CreateWebhookEndpointResponse = WebhookEndpointWithSecret;
