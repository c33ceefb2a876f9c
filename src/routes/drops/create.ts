import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { CreateDropBody, type Drop, DropSchema } from "../../drops/schemas";
import { createDrop } from "../../drops/verbs";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { IdempotencyHeaders, jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "post",
  path: "/v1/drops",
  tags: ["Drops"],
  summary: "Create a drop: a scheduled, capped run of one offer",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(201)] as const,
  request: { headers: IdempotencyHeaders, body: jsonBody(CreateDropBody) },
  responses: { 201: jsonResponse("The new drop", DropSchema), ...adminWrite() },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await createDrop({ ctx: tenantContext(c), input: c.req.valid("json") }), 201);

export const register: Register = (app) => app.openapi(route, handler);
export type CreateDropRequest = z.input<typeof CreateDropBody>;
export type CreateDropResponse = Drop;
