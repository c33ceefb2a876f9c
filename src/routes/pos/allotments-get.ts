import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { AllotmentSchema, getAllotment } from "../../pos/allotments";
import { IdParam, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/pos/allotments/{id}",
  tags: ["Point of sale"],
  summary: "Get an allotment: units claimed, consumed by synced sales, and still held",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { params: IdParam("Allotment id") },
  responses: { 200: jsonResponse("The allotment", AllotmentSchema), ...adminRead(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await getAllotment({ ctx: tenantContext(c), input: c.req.valid("param") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
