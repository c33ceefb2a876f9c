import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { MetricReport } from "../../contract/metrics";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { DROP_FUNNEL_DEFINITION, DropFunnelQuery, dropFunnelReport } from "../../metrics/checkout-funnel";
import { MetricReportSchema } from "../../metrics/range";
import { jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/metrics/drop-funnel",
  tags: ["Metrics"],
  summary:
    "Drop funnels: quotes, holds, checkouts, paid and entitled per drop, hold-expiry rate, sell-through time",
  description: DROP_FUNNEL_DEFINITION,
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { query: DropFunnelQuery },
  responses: { 200: jsonResponse("The report", MetricReportSchema), ...adminRead(404, 422) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await dropFunnelReport({ ctx: tenantContext(c), input: c.req.valid("query") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type DropFunnelResponse = MetricReport;
