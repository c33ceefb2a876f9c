import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { webhookDeliveryStatuses } from "../../db/schema";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { PageQuerySchema, pageOf } from "../../http/pagination";
import { WebhookDeliverySchema } from "../../webhooks/schemas";
import { listDeliveries } from "../../webhooks/verbs";
import { jsonResponse, type Register } from "../shared";
import { TAG } from "./shared";

const Query = PageQuerySchema.extend({
  endpoint_id: z.string().max(100).optional().openapi({ description: "Only this endpoint's deliveries." }),
  status: z.enum(webhookDeliveryStatuses).optional(),
});
const Page = pageOf(WebhookDeliverySchema).openapi("WebhookDeliveryList");

export const route = createRoute({
  method: "get",
  path: "/v1/webhook-deliveries",
  tags: [TAG],
  summary:
    "List the creator's webhook deliveries, newest first, by endpoint and status: attempts, last answer, next attempt",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { query: Query },
  responses: { 200: jsonResponse("A page of deliveries", Page), ...adminRead(404, 422) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await listDeliveries({ ctx: tenantContext(c), input: c.req.valid("query") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type ListWebhookDeliveriesResponse = z.infer<typeof Page>;
