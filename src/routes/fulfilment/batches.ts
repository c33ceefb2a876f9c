import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { BatchesQuery, BatchesSchema, type BatchesView } from "../../fulfilment/schemas";
import { listBatches } from "../../fulfilment/verbs";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/fulfilment/batches",
  tags: ["Fulfilment"],
  summary: "A hub's delivery windows between two instants, with their orders, units and statuses",
  description:
    "Each window that has orders, oldest first: how many, their units, and how many are in each " +
    "fulfilment status. Another creator's hub is 404.",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { query: BatchesQuery },
  responses: { 200: jsonResponse("The windows", BatchesSchema), ...adminRead(404, 422) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await listBatches({ ctx: tenantContext(c), input: c.req.valid("query") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type ListBatchesResponse = BatchesView;
