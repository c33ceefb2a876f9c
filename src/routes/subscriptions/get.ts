import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, renewalContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { SubscriptionSchema } from "../../subscriptions/schemas";
import { getSubscription } from "../../subscriptions/verbs";
import { IdParam, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/subscriptions/{id}",
  tags: ["Subscriptions"],
  summary: "Get a subscription: its status, current period, access end and dunning",
  description:
    "Any renewal or retry already due is run first, so the answer is the subscription as it stands now.",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { params: IdParam("Subscription id") },
  responses: { 200: jsonResponse("The subscription", SubscriptionSchema), ...adminRead(404, 503) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const tenant = c.get("tenant");
  return c.json(
    await getSubscription(
      renewalContext(c, tenant.actor),
      { creatorId: tenant.creatorId },
      c.req.valid("param").id,
    ),
    200,
  );
};

export const register: Register = (app) => app.openapi(route, handler);
