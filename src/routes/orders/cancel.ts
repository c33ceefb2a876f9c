import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { OrderSchema } from "../../checkout/schemas";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { cancelOrder } from "../../pos/orders";
import { IdempotencyHeaders, IdParam, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "post",
  path: "/v1/orders/{id}/cancel",
  tags: ["Orders"],
  summary: "Cancel an unpaid pay-later point-of-sale order: a drop sale's units go back on sale",
  description:
    "Only a pending pay-later order (it granted nothing). Cancelling again returns it and retries only " +
    "the restock. 409 for a paid order (refund it instead) or an order that was not a pay-later sale.",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(200)] as const,
  request: { params: IdParam("Order id"), headers: IdempotencyHeaders },
  responses: { 200: jsonResponse("The cancelled order", OrderSchema), ...adminWrite(404, 503) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await cancelOrder({ ctx: tenantContext(c), input: c.req.valid("param") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
