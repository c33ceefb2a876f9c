import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/context";
import { memberOfBearer } from "../../http/member";
import { problemResponses } from "../../http/openapi";
import { ApplyChangeBody, SubscriptionSchema } from "../../subscriptions/schemas";
import { applyTierChange } from "../../subscriptions/switch";
import { IdParam, jsonBody, jsonResponse, type Register } from "../shared";
import { switchContext } from "../subscriptions/switch-context";
import { APPLY_DESCRIPTION } from "../subscriptions/tier-change";

export const route = createRoute({
  method: "post",
  path: "/v1/me/subscriptions/{id}/tier-changes",
  tags: ["Member self-service"],
  summary: "Switch my tier at the quoted proration",
  description: `With the member's own entitlement token as \`Authorization: Bearer <token>\`. ${APPLY_DESCRIPTION}`,
  security: [{ MemberToken: [] }],
  request: { params: IdParam("Subscription id"), body: jsonBody(ApplyChangeBody) },
  responses: {
    200: jsonResponse("The switched subscription", SubscriptionSchema),
    ...problemResponses(400, 401, 402, 404, 409, 410, 413, 415, 422, 500, 503),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const member = await memberOfBearer(c);
  const ctx = await switchContext(c, `member:${member.memberId}`);
  return c.json(await applyTierChange(ctx, member, c.req.valid("param").id, c.req.valid("json").quote), 200);
};

export const register: Register = (app) => app.openapi(route, handler);
