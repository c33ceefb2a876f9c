import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { updateHub } from "../../fulfilment/hubs";
import { HubSchema, type HubView, UpdateHubBody } from "../../fulfilment/schemas";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { IdempotencyHeaders, IdParam, jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "patch",
  path: "/v1/fulfilment-hubs/{id}",
  tags: ["Fulfilment"],
  summary: "Update a fulfilment hub: its name, kind, country or batching window, or archive it",
  description:
    "A new window applies to orders paid from now on. A hub the routing rule names cannot be archived or " +
    "change kind (409): change the rule first.",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(200)] as const,
  request: { params: IdParam("Hub id"), headers: IdempotencyHeaders, body: jsonBody(UpdateHubBody) },
  responses: { 200: jsonResponse("The updated hub", HubSchema), ...adminWrite(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(
    await updateHub({
      ctx: tenantContext(c),
      input: { id: c.req.valid("param").id, changes: c.req.valid("json") },
    }),
    200,
  );

export const register: Register = (app) => app.openapi(route, handler);
export type UpdateHubRequest = z.input<typeof UpdateHubBody>;
export type UpdateHubResponse = HubView;
