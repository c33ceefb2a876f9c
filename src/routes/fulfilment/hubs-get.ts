import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { getHub } from "../../fulfilment/hubs";
import { HubSchema, type HubView } from "../../fulfilment/schemas";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { IdParam, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/fulfilment-hubs/{id}",
  tags: ["Fulfilment"],
  summary: "Get one of the creator's fulfilment hubs",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { params: IdParam("Hub id") },
  responses: { 200: jsonResponse("The hub", HubSchema), ...adminRead(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await getHub({ ctx: tenantContext(c), input: c.req.valid("param") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type GetHubResponse = HubView;
