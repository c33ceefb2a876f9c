import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { registerDevice } from "../../pos/devices";
import { type Device, DeviceSchema, RegisterDeviceBody } from "../../pos/schemas";
import { IdempotencyHeaders, jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "post",
  path: "/v1/pos/devices",
  tags: ["Point of sale"],
  summary: "Register a point-of-sale device: its Ed25519 public key, a name and its offline limits",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(201)] as const,
  request: { headers: IdempotencyHeaders, body: jsonBody(RegisterDeviceBody) },
  responses: {
    201: jsonResponse("The device; its id is the kid its batches are signed under", DeviceSchema),
    ...adminWrite(),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await registerDevice({ ctx: tenantContext(c), input: c.req.valid("json") }), 201);

export const register: Register = (app) => app.openapi(route, handler);
export type RegisterDeviceRequest = z.input<typeof RegisterDeviceBody>;
export type RegisterDeviceResponse = Device;
