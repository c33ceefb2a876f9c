import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { type Experiment, ExperimentSchema, NoFieldsBody } from "../../experiments/schemas";
import { startExperiment } from "../../experiments/verbs";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { IdempotencyHeaders, IdParam, jsonResponse, type Register } from "../shared";

// Optional: see NoFieldsBody. The validator runs only when a JSON body is sent.
const noFields = { required: false, content: { "application/json": { schema: NoFieldsBody } } };

export const route = createRoute({
  method: "post",
  path: "/v1/experiments/{id}/start",
  tags: ["Experiments"],
  summary: "Start a draft experiment: buyers of its offer are split between its arms from now on",
  description:
    "Only a draft starts, and only while no other experiment runs on the same offer (409 names the one " +
    "that does). No body is needed; if one is sent it must be `{}`.",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(200)] as const,
  request: { params: IdParam("Experiment id"), headers: IdempotencyHeaders, body: noFields },
  responses: { 200: jsonResponse("The running experiment", ExperimentSchema), ...adminWrite(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await startExperiment({ ctx: tenantContext(c), input: c.req.valid("param") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type StartExperimentRequest = z.input<typeof NoFieldsBody>;
export type StartExperimentResponse = Experiment;
