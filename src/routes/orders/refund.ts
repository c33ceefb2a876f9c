import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { refundOrder } from "../../checkout/orders";
import { OrderSchema, RefundOrderBody } from "../../checkout/schemas";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, checkoutContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { IdempotencyHeaders, IdParam, jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "post",
  path: "/v1/orders/{id}/refund",
  tags: ["Orders"],
  summary: "Refund a paid order in full and revoke what it granted",
  description:
    "Refunds through the order's payment provider, then ends the order refunded and revokes its " +
    "entitlement (the member's token version is bumped), in one batch with the stored response: the same " +
    "Idempotency-Key replays it (`Idempotent-Replayed: true`), and with another body is 422. An order " +
    "already refunded at the provider (from its dashboard, its webhook lost) is reconciled the same way. " +
    "Refunding a refunded order returns it unchanged; a `charge.refunded` webhook for the same refund " +
    "changes nothing more. 409 for an order that is not paid, one whose payment was charged back by the " +
    "buyer's bank, or one the provider refuses to refund. " +
    "A point-of-sale order has no provider: the till paid the buyer back, and this records it (the order " +
    "refunded, its entitlement revoked, a drop sale's units restocked if the drop says so).",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(200)] as const,
  request: { params: IdParam("Order id"), headers: IdempotencyHeaders, body: jsonBody(RefundOrderBody) },
  responses: { 200: jsonResponse("The refunded order", OrderSchema), ...adminWrite(404, 503) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(
    await refundOrder({
      ctx: await checkoutContext(c),
      input: {
        ...c.get("tenant"),
        orderId: c.req.valid("param").id,
        reason: c.req.valid("json").reason,
      },
    }),
    200,
  );

export const register: Register = (app) => app.openapi(route, handler);
export type RefundOrderRequest = z.input<typeof RefundOrderBody>;
