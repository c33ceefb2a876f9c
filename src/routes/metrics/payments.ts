import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { MetricReport } from "../../contract/metrics";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { PAYMENTS_DEFINITION, paymentsReport } from "../../metrics/checkout-payments";
import { MetricQuery, MetricReportSchema } from "../../metrics/range";
import { jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/metrics/payments",
  tags: ["Metrics"],
  summary: "Checkout payment failure rate, declines by code, buyer retry success and provider retries",
  description: PAYMENTS_DEFINITION,
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { query: MetricQuery.omit({ currency: true }) },
  responses: { 200: jsonResponse("The report", MetricReportSchema), ...adminRead(422) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await paymentsReport({ ctx: tenantContext(c), input: c.req.valid("query") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type PaymentsResponse = MetricReport;
