import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { OrderSchema, type OrderView } from "../../checkout/schemas";
import { FulfilmentMoveBody } from "../../fulfilment/schemas";
import { moveFulfilment } from "../../fulfilment/verbs";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { IdempotencyHeaders, IdParam, jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "post",
  path: "/v1/orders/{id}/fulfilment",
  tags: ["Orders"],
  summary:
    "Move a paid physical order's fulfilment: packed, shipped (carrier and tracking), delivered, returned",
  description:
    "unfulfilled → packed → shipped → delivered; packed → unfulfilled (unpack); shipped or delivered → " +
    "returned, which is final. The move lands only if the order is still in the status it was read in, " +
    "so of two concurrent moves one wins and the other is 409 `fulfilment-transition-invalid`, like any " +
    "move the machine does not allow. 409 `fulfilment-not-applicable` for an order with nothing to " +
    "fulfil (digital, or not paid). A refunded order can be unpacked or returned, not shipped. Audited " +
    "as `order.fulfilment_updated` with from and to.",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(200)] as const,
  request: { params: IdParam("Order id"), headers: IdempotencyHeaders, body: jsonBody(FulfilmentMoveBody) },
  responses: { 200: jsonResponse("The order", OrderSchema), ...adminWrite(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(
    await moveFulfilment({
      ctx: tenantContext(c),
      input: { ...c.req.valid("json"), id: c.req.valid("param").id },
    }),
    200,
  );

export const register: Register = (app) => app.openapi(route, handler);
export type MoveFulfilmentRequest = z.input<typeof FulfilmentMoveBody>;
export type MoveFulfilmentResponse = OrderView;
