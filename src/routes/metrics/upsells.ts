import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { MetricReport } from "../../contract/metrics";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { UPSELLS_DEFINITION, upsellsReport } from "../../metrics/checkout-upsells";
import { MetricQuery, MetricReportSchema } from "../../metrics/range";
import { jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/metrics/upsells",
  tags: ["Metrics"],
  summary: "Micro-upsell conversion and the AOV lift of baskets with an upsell or a bundle",
  description: UPSELLS_DEFINITION,
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { query: MetricQuery },
  responses: { 200: jsonResponse("The report", MetricReportSchema), ...adminRead(422) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await upsellsReport({ ctx: tenantContext(c), input: c.req.valid("query") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type UpsellsResponse = MetricReport;
