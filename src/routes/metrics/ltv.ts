import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { MetricReport } from "../../contract/metrics";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { MetricQuery, MetricReportSchema } from "../../metrics/range";
import { LTV_DEFINITION, ltvReport } from "../../metrics/revenue-ltv";
import { jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/metrics/ltv",
  tags: ["Metrics"],
  summary: "90-day LTV by cohort × acquisition source × product family × fulfilment path",
  description: LTV_DEFINITION,
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { query: MetricQuery },
  responses: { 200: jsonResponse("The report", MetricReportSchema), ...adminRead(422) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await ltvReport({ ctx: tenantContext(c), input: c.req.valid("query") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type LtvResponse = MetricReport;
