import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { type Member, MemberSchema } from "../../members/schemas";
import { getMember } from "../../members/verbs";
import { IdParam, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/members/{id}",
  tags: ["Members"],
  summary: "Get one of the creator's members",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { params: IdParam("Member id") },
  responses: { 200: jsonResponse("The member", MemberSchema), ...adminRead(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await getMember({ ctx: tenantContext(c), input: c.req.valid("param") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type GetMemberResponse = Member;
