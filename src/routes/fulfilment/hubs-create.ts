import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { createHub } from "../../fulfilment/hubs";
import { CreateHubBody, HubSchema, type HubView } from "../../fulfilment/schemas";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { IdempotencyHeaders, jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "post",
  path: "/v1/fulfilment-hubs",
  tags: ["Fulfilment"],
  summary: "Create a fulfilment hub: a micro hub or a central warehouse, with an optional batching window",
  description:
    "A hub with `batch_window` groups the physical orders routed to it into the next window at or after " +
    "each order's payment (`every_minutes` from the UTC epoch, shifted by `offset_minutes`: daily at 17:00 " +
    "UTC is `{ every_minutes: 1440, offset_minutes: 1020 }`); without one, each order ships as it comes.",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(201)] as const,
  request: { headers: IdempotencyHeaders, body: jsonBody(CreateHubBody) },
  responses: { 201: jsonResponse("The new hub", HubSchema), ...adminWrite() },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await createHub({ ctx: tenantContext(c), input: c.req.valid("json") }), 201);

export const register: Register = (app) => app.openapi(route, handler);
export type CreateHubRequest = z.input<typeof CreateHubBody>;
export type CreateHubResponse = HubView;
