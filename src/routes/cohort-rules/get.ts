import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { CohortRulesSchema, getCohortRules } from "../../members/cohorts";
import { jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/cohort-rules",
  tags: ["Members"],
  summary: "The creator's cohort rules: which cohort a new member joins",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  responses: { 200: jsonResponse("The rules", CohortRulesSchema), ...adminRead() },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await getCohortRules({ ctx: tenantContext(c), input: undefined }), 200);

export const register: Register = (app) => app.openapi(route, handler);
