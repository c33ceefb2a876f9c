import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type ExperimentResults, ExperimentResultsSchema } from "../../experiments/schemas";
import { experimentResults } from "../../experiments/verbs";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { IdParam, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/experiments/{id}/results",
  tags: ["Experiments"],
  summary: "Orders, units and revenue per arm of a price experiment",
  description:
    "Counts the orders priced by each arm: paid orders give `orders_paid`, `units` and `revenue` (per " +
    "currency, never converted); refunded orders are counted in `orders_refunded` and not in revenue. " +
    "Pending, failed and cancelled orders are left out. Every arm is listed, with zeros if it has no orders.",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { params: IdParam("Experiment id") },
  responses: { 200: jsonResponse("Results per arm", ExperimentResultsSchema), ...adminRead(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await experimentResults({ ctx: tenantContext(c), input: c.req.valid("param") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type ExperimentResultsResponse = ExperimentResults;
