import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { CohortRulesBody, CohortRulesSchema, putCohortRules } from "../../members/cohorts";
import { IdempotencyHeaders, jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "put",
  path: "/v1/cohort-rules",
  tags: ["Members"],
  summary: "Replace the creator's cohort rules",
  description:
    "Members who join before `founding_until` are `founding`; otherwise members enrolled at a pop-up join " +
    "`pop_up_cohort` (when set) and everyone else `default_cohort`. Rules apply to members who join from " +
    "now on (in every location within 5 seconds); existing members keep their cohort.",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(200)] as const,
  request: { headers: IdempotencyHeaders, body: jsonBody(CohortRulesBody) },
  responses: { 200: jsonResponse("The new rules", CohortRulesSchema), ...adminWrite() },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await putCohortRules({ ctx: tenantContext(c), input: c.req.valid("json") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
