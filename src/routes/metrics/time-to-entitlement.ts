import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { MetricReport } from "../../contract/metrics";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import {
  TIME_TO_ENTITLEMENT_DEFINITION,
  TimeToEntitlementQuery,
  timeToEntitlementReport,
} from "../../metrics/checkout-entitlement";
import { MetricReportSchema } from "../../metrics/range";
import { jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/metrics/time-to-entitlement",
  tags: ["Metrics"],
  summary:
    "Time to entitlement: p50, p90 and p99 overall, per day and per drop, and the share within a target",
  description: TIME_TO_ENTITLEMENT_DEFINITION,
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { query: TimeToEntitlementQuery },
  responses: { 200: jsonResponse("The report", MetricReportSchema), ...adminRead(404, 422) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await timeToEntitlementReport({ ctx: tenantContext(c), input: c.req.valid("query") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type TimeToEntitlementResponse = MetricReport;
