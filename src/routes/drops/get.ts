import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type Drop, DropSchema } from "../../drops/schemas";
import { getDrop } from "../../drops/verbs";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { IdParam, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/drops/{id}",
  tags: ["Drops"],
  summary: "Get one of the creator's drops",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { params: IdParam("Drop id") },
  responses: { 200: jsonResponse("The drop", DropSchema), ...adminRead(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await getDrop({ ctx: tenantContext(c), input: c.req.valid("param") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type GetDropResponse = Drop;
