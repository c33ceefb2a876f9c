import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { OrderSchema } from "../../checkout/schemas";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { CollectBody, collectOrder } from "../../pos/orders";
import { IdempotencyHeaders, IdParam, jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "post",
  path: "/v1/orders/{id}/collect",
  tags: ["Orders"],
  summary: "Record the payment of a pay-later point-of-sale order: it is paid, and its entitlement lands",
  description:
    "A point of sale's `pay_later` sale lands pending and grants nothing. Collecting it marks it paid and " +
    "grants what it sold, from now (a tier for one billing period). Collecting a paid order returns it " +
    "unchanged; 409 for a cancelled one, or an order that was not a pay-later sale.",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(200)] as const,
  request: { params: IdParam("Order id"), headers: IdempotencyHeaders, body: jsonBody(CollectBody) },
  responses: { 200: jsonResponse("The paid order", OrderSchema), ...adminWrite(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(
    await collectOrder({ ctx: tenantContext(c), input: { ...c.req.valid("param"), ...c.req.valid("json") } }),
    200,
  );

export const register: Register = (app) => app.openapi(route, handler);
