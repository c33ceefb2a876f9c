import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import type { AppEnv } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import {
  EmptyBody,
  type WebhookEndpointWithSecret,
  WebhookEndpointWithSecretSchema,
} from "../../webhooks/schemas";
import { rotateSecret } from "../../webhooks/verbs";
import { IdempotencyHeaders, IdParam, jsonBody, jsonResponse, type Register } from "../shared";
import { TAG, webhookContext, withSecret } from "./shared";

export const route = createRoute({
  method: "post",
  path: "/v1/webhook-endpoints/{id}/rotate-secret",
  tags: [TAG],
  summary: "Rotate a webhook endpoint's secret; the old one keeps signing beside it for 24 hours",
  description:
    "For 24 hours every delivery carries two space-separated `v1,` signatures, the new secret's first, so the " +
    "receiver can switch to the new secret whenever it likes within the window.",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(200, { replay: withSecret })] as const,
  request: { params: IdParam("Webhook endpoint id"), headers: IdempotencyHeaders, body: jsonBody(EmptyBody) },
  responses: {
    200: jsonResponse("The endpoint and its new secret", WebhookEndpointWithSecretSchema),
    ...adminWrite(404),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await rotateSecret({ ctx: webhookContext(c), input: c.req.valid("param") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type RotateWebhookSecretResponse = WebhookEndpointWithSecret;
