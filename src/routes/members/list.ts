import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { memberCohorts } from "../../db/schema";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { PageQuerySchema, pageOf } from "../../http/pagination";
import { MemberSchema } from "../../members/schemas";
import { listMembers } from "../../members/verbs";
import { jsonResponse, type Register } from "../shared";

const Query = PageQuerySchema.extend({ cohort: z.enum(memberCohorts).optional() });
const Page = pageOf(MemberSchema).openapi("MemberList");

export const route = createRoute({
  method: "get",
  path: "/v1/members",
  tags: ["Members"],
  summary: "List the creator's members, most recently joined first",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { query: Query },
  responses: { 200: jsonResponse("A page of members", Page), ...adminRead(422) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await listMembers({ ctx: tenantContext(c), input: c.req.valid("query") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type ListMembersResponse = z.infer<typeof Page>;
