import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { CreateExperimentBody, type Experiment, ExperimentSchema } from "../../experiments/schemas";
import { createExperiment } from "../../experiments/verbs";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { IdempotencyHeaders, jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "post",
  path: "/v1/experiments",
  tags: ["Experiments"],
  summary: "Create a price experiment on an offer, as a draft; its arms cannot change afterwards",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(201)] as const,
  request: { headers: IdempotencyHeaders, body: jsonBody(CreateExperimentBody) },
  responses: { 201: jsonResponse("The new experiment, in draft", ExperimentSchema), ...adminWrite() },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await createExperiment({ ctx: tenantContext(c), input: c.req.valid("json") }), 201);

export const register: Register = (app) => app.openapi(route, handler);
export type CreateExperimentRequest = z.input<typeof CreateExperimentBody>;
export type CreateExperimentResponse = Experiment;
