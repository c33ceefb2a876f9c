import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { OrderSchema } from "../../checkout/schemas";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { pageOf } from "../../http/pagination";
import { ListOrdersQuery, listOrders } from "../../orders/reads";
import { jsonResponse, type Register } from "../shared";

const Page = pageOf(OrderSchema).openapi("OrderList");

export const route = createRoute({
  method: "get",
  path: "/v1/orders",
  tags: ["Orders"],
  summary: "List the creator's orders, newest first",
  description:
    "Filter by `status`, `offer_id`, `drop_id`, `member_id`, `source` and a created range " +
    "(`created_from` inclusive, `created_to` exclusive, ISO 8601).",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { query: ListOrdersQuery },
  responses: { 200: jsonResponse("A page of orders", Page), ...adminRead(422) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await listOrders({ ctx: tenantContext(c), input: c.req.valid("query") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
