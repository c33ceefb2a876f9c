import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { type Drop, DropSchema, UpdateDropBody } from "../../drops/schemas";
import { updateDrop } from "../../drops/verbs";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { IdempotencyHeaders, IdParam, jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "patch",
  path: "/v1/drops/{id}",
  tags: ["Drops"],
  summary: "Update a drop, or close it early with `state: closed`",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(200)] as const,
  request: { params: IdParam("Drop id"), headers: IdempotencyHeaders, body: jsonBody(UpdateDropBody) },
  responses: { 200: jsonResponse("The updated drop", DropSchema), ...adminWrite(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(
    await updateDrop({
      ctx: tenantContext(c),
      input: { id: c.req.valid("param").id, changes: c.req.valid("json") },
    }),
    200,
  );

export const register: Register = (app) => app.openapi(route, handler);
export type UpdateDropRequest = z.input<typeof UpdateDropBody>;
export type UpdateDropResponse = Drop;
