import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { getDevice } from "../../pos/devices";
import { DeviceSchema } from "../../pos/schemas";
import { IdParam, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/pos/devices/{id}",
  tags: ["Point of sale"],
  summary: "Get a point-of-sale device",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { params: IdParam("Device id") },
  responses: { 200: jsonResponse("The device", DeviceSchema), ...adminRead(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await getDevice({ ctx: tenantContext(c), input: c.req.valid("param") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
