import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, renewalContext } from "../../http/context";
import { memberOfBearer } from "../../http/member";
import { problemResponses } from "../../http/openapi";
import { SubscriptionListSchema } from "../../subscriptions/schemas";
import { listSubscriptions } from "../../subscriptions/verbs";
import { jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/me/subscriptions",
  tags: ["Member self-service"],
  summary: "The signed-in member's subscriptions",
  description: "With the member's own entitlement token as `Authorization: Bearer <token>`; no creator key.",
  security: [{ MemberToken: [] }],
  responses: {
    200: jsonResponse("The member's subscriptions", SubscriptionListSchema),
    ...problemResponses(401, 500),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const member = await memberOfBearer(c);
  return c.json(await listSubscriptions(renewalContext(c, `member:${member.memberId}`), member), 200);
};

export const register: Register = (app) => app.openapi(route, handler);
