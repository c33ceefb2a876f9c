import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { ExperimentSchema } from "../../experiments/schemas";
import { listExperiments } from "../../experiments/verbs";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { PageQuerySchema, pageOf } from "../../http/pagination";
import { jsonResponse, type Register } from "../shared";

const Query = PageQuerySchema.extend({
  offer_id: z.string().max(64).optional().openapi({ description: "Only experiments on this offer" }),
});
const Page = pageOf(ExperimentSchema).openapi("ExperimentList");

export const route = createRoute({
  method: "get",
  path: "/v1/experiments",
  tags: ["Experiments"],
  summary: "List the creator's price experiments, newest first",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { query: Query },
  responses: { 200: jsonResponse("A page of experiments", Page), ...adminRead(422) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await listExperiments({ ctx: tenantContext(c), input: c.req.valid("query") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type ListExperimentsResponse = z.infer<typeof Page>;
