import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { listHubs } from "../../fulfilment/hubs";
import { HubSchema } from "../../fulfilment/schemas";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { PageQuerySchema, pageOf } from "../../http/pagination";
import { jsonResponse, type Register } from "../shared";

const Page = pageOf(HubSchema).openapi("FulfilmentHubList");

export const route = createRoute({
  method: "get",
  path: "/v1/fulfilment-hubs",
  tags: ["Fulfilment"],
  summary: "List the creator's fulfilment hubs, newest first",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { query: PageQuerySchema },
  responses: { 200: jsonResponse("A page of hubs", Page), ...adminRead(422) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await listHubs({ ctx: tenantContext(c), input: c.req.valid("query") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type ListHubsResponse = z.infer<typeof Page>;
