import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type Experiment, ExperimentSchema } from "../../experiments/schemas";
import { getExperiment } from "../../experiments/verbs";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { IdParam, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/experiments/{id}",
  tags: ["Experiments"],
  summary: "Get one of the creator's price experiments",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { params: IdParam("Experiment id") },
  responses: { 200: jsonResponse("The experiment", ExperimentSchema), ...adminRead(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await getExperiment({ ctx: tenantContext(c), input: c.req.valid("param") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type GetExperimentResponse = Experiment;
