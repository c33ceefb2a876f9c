import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { MemberSummarySchema, type MemberSummaryView, memberSummary } from "../../members/summary";
import { IdParam, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/members/{id}/summary",
  tags: ["Members"],
  summary: "One member with their subscriptions, entitlements and latest orders, in one read",
  description:
    "The member, their subscriptions (status, tier, amount and interval, period, cancel_at_period_end), " +
    "their entitlements (active and revoked) and their newest orders, with `orders.url` and " +
    "`orders.next_cursor` to page on through `GET /v1/orders?member_id=`. One D1 round trip.",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { params: IdParam("Member id") },
  responses: {
    200: jsonResponse("The member and what hangs off them", MemberSummarySchema),
    ...adminRead(404),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await memberSummary({ ctx: tenantContext(c), input: { id: c.req.valid("param").id } }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type MemberSummaryResponse = MemberSummaryView;
