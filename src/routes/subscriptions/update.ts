import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, renewalContext } from "../../http/context";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { SubscriptionSchema, UpdateSubscriptionBody } from "../../subscriptions/schemas";
import { updateSubscription } from "../../subscriptions/verbs";
import { IdParam, jsonBody, jsonResponse, type Register } from "../shared";

export const CHANGE_DESCRIPTION =
  "Each field sets a state, so repeating the request changes nothing more and needs no Idempotency-Key. " +
  "Cancelling at period end keeps access until the paid period ends; undo it any time before. Pausing " +
  "ends access now and stops billing; resuming inside the paid period is free, after it a new period " +
  "starts and is charged (402 if the card declines, and nothing changes). A new card while a renewal is " +
  "failing retries the failed invoice with it at once. A subscription that cannot make the change " +
  "(canceled, unpaid) answers 409.";

export const route = createRoute({
  method: "patch",
  path: "/v1/subscriptions/{id}",
  tags: ["Subscriptions"],
  summary: "Change a subscription: cancel at period end or undo it, pause or resume, change the card",
  description: CHANGE_DESCRIPTION,
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { params: IdParam("Subscription id"), body: jsonBody(UpdateSubscriptionBody) },
  responses: { 200: jsonResponse("The subscription", SubscriptionSchema), ...adminWrite(402, 404, 503) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const tenant = c.get("tenant");
  const ctx = renewalContext(c, tenant.actor);
  return c.json(
    await updateSubscription(
      ctx,
      { creatorId: tenant.creatorId },
      c.req.valid("param").id,
      c.req.valid("json"),
    ),
    200,
  );
};

export const register: Register = (app) => app.openapi(route, handler);
