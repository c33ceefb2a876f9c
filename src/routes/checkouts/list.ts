import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { AdminCheckoutSchema, ListCheckoutsQuery, listCheckouts } from "../../checkout/admin-reads";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { pageOf } from "../../http/pagination";
import { jsonResponse, type Register } from "../shared";

const Page = pageOf(AdminCheckoutSchema).openapi("AdminCheckoutList");

export const route = createRoute({
  method: "get",
  path: "/v1/checkouts",
  tags: ["Checkout"],
  summary: "List the creator's checkouts, newest first",
  description:
    "The creator's view of each checkout: status, amount and lines, payment id, failure and decline codes, " +
    "hold expiry, attribution, time to entitlement and provider attempts; never the buyer's secret or the " +
    "provider's client secret. Filter by `status`, `drop_id`, `member_id`, `email` (exact, compared " +
    "lower-cased) and a created range (`created_from` inclusive, `created_to` exclusive). One checkout is " +
    "read with its order: `GET /v1/orders/{order_id}` carries it as `checkout`.",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { query: ListCheckoutsQuery },
  responses: { 200: jsonResponse("A page of checkouts", Page), ...adminRead(422) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await listCheckouts({ ctx: tenantContext(c), input: c.req.valid("query") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type ListCheckoutsResponse = z.infer<typeof Page>;
