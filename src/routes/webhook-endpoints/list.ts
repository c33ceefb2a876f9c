import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { PageQuerySchema, pageOf } from "../../http/pagination";
import { WebhookEndpointSchema } from "../../webhooks/schemas";
import { listEndpoints } from "../../webhooks/verbs";
import { jsonResponse, type Register } from "../shared";
import { TAG } from "./shared";

const Page = pageOf(WebhookEndpointSchema).openapi("WebhookEndpointList");

export const route = createRoute({
  method: "get",
  path: "/v1/webhook-endpoints",
  tags: [TAG],
  summary: "List the creator's webhook endpoints, newest first",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { query: PageQuerySchema },
  responses: { 200: jsonResponse("A page of endpoints", Page), ...adminRead(422) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await listEndpoints({ ctx: tenantContext(c), input: c.req.valid("query") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type ListWebhookEndpointsResponse = z.infer<typeof Page>;
