import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { type Experiment, ExperimentSchema, NoFieldsBody } from "../../experiments/schemas";
import { stopExperiment } from "../../experiments/verbs";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { IdempotencyHeaders, IdParam, jsonResponse, type Register } from "../shared";

// Optional: see NoFieldsBody. The validator runs only when a JSON body is sent.
const noFields = { required: false, content: { "application/json": { schema: NoFieldsBody } } };

export const route = createRoute({
  method: "post",
  path: "/v1/experiments/{id}/stop",
  tags: ["Experiments"],
  summary: "Stop an experiment, running or draft; stopping is final and prices return to normal at once",
  description: "No body is needed; if one is sent it must be `{}`. A stopped experiment answers 409.",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(200)] as const,
  request: { params: IdParam("Experiment id"), headers: IdempotencyHeaders, body: noFields },
  responses: { 200: jsonResponse("The stopped experiment", ExperimentSchema), ...adminWrite(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await stopExperiment({ ctx: tenantContext(c), input: c.req.valid("param") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type StopExperimentRequest = z.input<typeof NoFieldsBody>;
export type StopExperimentResponse = Experiment;
