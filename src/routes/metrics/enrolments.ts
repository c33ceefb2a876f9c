import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { MetricReport } from "../../contract/metrics";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { MetricQuery, MetricReportSchema } from "../../metrics/range";
import { ENROLMENTS_DEFINITION, enrolmentsReport } from "../../metrics/revenue-members";
import { jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/metrics/enrolments",
  tags: ["Metrics"],
  summary: "New members per day by source, a person enrolled at a pop-up and online counted once",
  description: ENROLMENTS_DEFINITION,
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { query: MetricQuery.omit({ currency: true }) },
  responses: { 200: jsonResponse("The report", MetricReportSchema), ...adminRead(422) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await enrolmentsReport({ ctx: tenantContext(c), input: c.req.valid("query") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type EnrolmentsResponse = MetricReport;
