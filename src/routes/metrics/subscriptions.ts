import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { MetricReport } from "../../contract/metrics";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { MetricQuery, MetricReportSchema } from "../../metrics/range";
import { SUBSCRIPTIONS_DEFINITION, subscriptionsReport } from "../../metrics/revenue-subscriptions";
import { jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/metrics/subscriptions",
  tags: ["Metrics"],
  summary: "Churn, ARPU, trial conversion, dunning recovery, retry success and grace given away",
  description: SUBSCRIPTIONS_DEFINITION,
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { query: MetricQuery },
  responses: { 200: jsonResponse("The report", MetricReportSchema), ...adminRead(422) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await subscriptionsReport({ ctx: tenantContext(c), input: c.req.valid("query") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type SubscriptionMetricsResponse = MetricReport;
