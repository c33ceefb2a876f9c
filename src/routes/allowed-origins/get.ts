import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { AllowedOriginsSchema, getAllowedOrigins } from "../../origins/verbs";
import { jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/allowed-origins",
  tags: ["Buyer surfaces"],
  summary: "The web origins allowed to call this creator's buyer routes and embed its checkout pages",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  responses: { 200: jsonResponse("The allow-list", AllowedOriginsSchema), ...adminRead() },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await getAllowedOrigins({ ctx: tenantContext(c), input: undefined }), 200);

export const register: Register = (app) => app.openapi(route, handler);
