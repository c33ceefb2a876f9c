import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, renewalContext } from "../../http/context";
import { memberOfBearer } from "../../http/member";
import { problemResponses } from "../../http/openapi";
import { SubscriptionSchema, UpdateSubscriptionBody } from "../../subscriptions/schemas";
import { updateSubscription } from "../../subscriptions/verbs";
import { IdParam, jsonBody, jsonResponse, type Register } from "../shared";
import { CHANGE_DESCRIPTION } from "../subscriptions/update";

export const route = createRoute({
  method: "patch",
  path: "/v1/me/subscriptions/{id}",
  tags: ["Member self-service"],
  summary:
    "Change my subscription: cancel at period end in one call or undo it, pause or resume, change the card",
  description: `With the member's own entitlement token as \`Authorization: Bearer <token>\`. ${CHANGE_DESCRIPTION} Another member's subscription answers 404.`,
  security: [{ MemberToken: [] }],
  request: { params: IdParam("Subscription id"), body: jsonBody(UpdateSubscriptionBody) },
  responses: {
    200: jsonResponse("The subscription", SubscriptionSchema),
    ...problemResponses(400, 401, 402, 404, 409, 410, 413, 415, 422, 500, 503),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const member = await memberOfBearer(c);
  const ctx = renewalContext(c, `member:${member.memberId}`);
  return c.json(await updateSubscription(ctx, member, c.req.valid("param").id, c.req.valid("json")), 200);
};

export const register: Register = (app) => app.openapi(route, handler);
