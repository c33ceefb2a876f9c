import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, renewalContext, storeAnswer } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { refundLastInvoice } from "../../subscriptions/refunds";
import { SubscriptionSchema } from "../../subscriptions/schemas";
import { IdempotencyHeaders, IdParam, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "post",
  path: "/v1/subscriptions/{id}/refund",
  tags: ["Subscriptions"],
  summary: "Refund the last paid invoice and end the subscription now",
  description:
    "The payment is refunded in full (under a key derived from the invoice, so a retry never refunds twice) " +
    "and the subscription is canceled at once: the tier is revoked with reason `refund` and tokens minted " +
    "before stop verifying. The first period is the membership's order: refund that with " +
    "POST /v1/orders/{id}/refund (409 names it). Nothing left to refund answers 409.",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(200)] as const,
  request: { params: IdParam("Subscription id"), headers: IdempotencyHeaders },
  responses: {
    200: jsonResponse("The refunded, canceled subscription", SubscriptionSchema),
    ...adminWrite(404, 503),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const tenant = c.get("tenant");
  return c.json(
    await storeAnswer(
      c,
      await refundLastInvoice(
        renewalContext(c, tenant.actor),
        { creatorId: tenant.creatorId },
        c.req.valid("param").id,
      ),
    ),
    200,
  );
};

export const register: Register = (app) => app.openapi(route, handler);
