import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, renewalContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { SubscriptionListSchema } from "../../subscriptions/schemas";
import { listSubscriptions } from "../../subscriptions/verbs";
import { jsonResponse, type Register } from "../shared";

const Query = z.strictObject({
  member_id: z
    .string()
    .optional()
    .openapi({ param: { name: "member_id", in: "query" }, description: "Only this member's." }),
});

export const route = createRoute({
  method: "get",
  path: "/v1/subscriptions",
  tags: ["Subscriptions"],
  summary: "List the creator's subscriptions, newest first (100 at most), optionally one member's",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { query: Query },
  responses: { 200: jsonResponse("Subscriptions", SubscriptionListSchema), ...adminRead(422) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const tenant = c.get("tenant");
  const ctx = renewalContext(c, tenant.actor);
  return c.json(
    await listSubscriptions(ctx, { creatorId: tenant.creatorId, memberId: c.req.valid("query").member_id }),
    200,
  );
};

export const register: Register = (app) => app.openapi(route, handler);
