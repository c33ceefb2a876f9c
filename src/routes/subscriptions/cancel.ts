import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, renewalContext, storeAnswer } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { SubscriptionSchema } from "../../subscriptions/schemas";
import { cancelSubscription } from "../../subscriptions/verbs";
import { IdempotencyHeaders, IdParam, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "post",
  path: "/v1/subscriptions/{id}/cancel",
  tags: ["Subscriptions"],
  summary: "Cancel a subscription now: access ends at once and nothing renews",
  description:
    "For the creator (a member cancels at period end instead, keeping what they paid for). Cancelled is " +
    "final: a late payment never revives it. Repeating it answers the cancelled subscription.",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(200)] as const,
  request: { params: IdParam("Subscription id"), headers: IdempotencyHeaders },
  responses: { 200: jsonResponse("The cancelled subscription", SubscriptionSchema), ...adminWrite(404, 503) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const tenant = c.get("tenant");
  return c.json(
    await storeAnswer(
      c,
      await cancelSubscription(
        renewalContext(c, tenant.actor),
        { creatorId: tenant.creatorId },
        c.req.valid("param").id,
      ),
    ),
    200,
  );
};

export const register: Register = (app) => app.openapi(route, handler);
