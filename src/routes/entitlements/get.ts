import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { getEntitlement } from "../../entitlements/grants";
import { type Entitlement, EntitlementSchema } from "../../entitlements/schemas";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { IdParam, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/entitlements/{id}",
  tags: ["Entitlements"],
  summary: "Get one entitlement: who holds what, where it came from, and whether it was revoked",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { params: IdParam("Entitlement id") },
  responses: { 200: jsonResponse("The entitlement", EntitlementSchema), ...adminRead(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await getEntitlement({ ctx: tenantContext(c), input: c.req.valid("param") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type GetEntitlementResponse = Entitlement;
