import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/context";
import { memberOfBearer } from "../../http/member";
import { problemResponses } from "../../http/openapi";
import { ChangeQuoteBody, ChangeQuoteSchema } from "../../subscriptions/schemas";
import { quoteTierChange } from "../../subscriptions/switch";
import { IdParam, jsonBody, jsonResponse, type Register } from "../shared";
import { QUOTE_DESCRIPTION } from "../subscriptions/change-quote";
import { switchContext } from "../subscriptions/switch-context";

export const route = createRoute({
  method: "post",
  path: "/v1/me/subscriptions/{id}/change-quotes",
  tags: ["Member self-service"],
  summary: "Quote switching my tier: what it costs now, signed, before anything is charged",
  description: `With the member's own entitlement token as \`Authorization: Bearer <token>\`. ${QUOTE_DESCRIPTION}`,
  security: [{ MemberToken: [] }],
  request: { params: IdParam("Subscription id"), body: jsonBody(ChangeQuoteBody) },
  responses: {
    200: jsonResponse("The change quote", ChangeQuoteSchema),
    ...problemResponses(400, 401, 404, 409, 410, 413, 415, 422, 500, 503),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const member = await memberOfBearer(c);
  const ctx = await switchContext(c, `member:${member.memberId}`);
  return c.json(
    await quoteTierChange(ctx, member, c.req.valid("param").id, c.req.valid("json").offer_id),
    200,
  );
};

export const register: Register = (app) => app.openapi(route, handler);
