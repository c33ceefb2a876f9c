import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { getOrder, OrderDetailSchema } from "../../orders/reads";
import { IdParam, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/orders/{id}",
  tags: ["Orders"],
  summary: "One order with its price lines, what it granted, and its timeline",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { params: IdParam("Order id") },
  responses: { 200: jsonResponse("The order", OrderDetailSchema), ...adminRead(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await getOrder({ ctx: tenantContext(c), input: { id: c.req.valid("param").id } }), 200);

export const register: Register = (app) => app.openapi(route, handler);
