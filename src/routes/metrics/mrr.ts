import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { MetricReport } from "../../contract/metrics";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { MetricQuery, MetricReportSchema } from "../../metrics/range";
import { MRR_DEFINITION, mrrReport } from "../../metrics/revenue-mrr";
import { jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/metrics/mrr",
  tags: ["Metrics"],
  summary: "MRR per day and its movements (new, expansion, contraction, churn, reactivation), per member",
  description: MRR_DEFINITION,
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { query: MetricQuery },
  responses: { 200: jsonResponse("The report", MetricReportSchema), ...adminRead(422) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await mrrReport({ ctx: tenantContext(c), input: c.req.valid("query") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type MrrResponse = MetricReport;
