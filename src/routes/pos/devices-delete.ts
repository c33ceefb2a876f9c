import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { revokeDevice } from "../../pos/devices";
import { DeviceSchema } from "../../pos/schemas";
import { IdempotencyHeaders, IdParam, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "delete",
  path: "/v1/pos/devices/{id}",
  tags: ["Point of sale"],
  summary: "Revoke a point-of-sale device: its batches are refused from now on",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(200)] as const,
  request: { params: IdParam("Device id"), headers: IdempotencyHeaders },
  responses: { 200: jsonResponse("The revoked device", DeviceSchema), ...adminWrite(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await revokeDevice({ ctx: tenantContext(c), input: c.req.valid("param") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
