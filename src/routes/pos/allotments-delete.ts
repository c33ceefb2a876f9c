import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { AllotmentSchema, releaseAllotment } from "../../pos/allotments";
import { IdempotencyHeaders, IdParam, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "delete",
  path: "/v1/pos/allotments/{id}",
  tags: ["Point of sale"],
  summary: "Release an allotment: its unused units go back on sale",
  description:
    "Sales already synced stay sold. Sales made from it that sync later take units from open stock, or are " +
    "rejected `sold_out` when none are left. Releasing again changes nothing.",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(200)] as const,
  request: { params: IdParam("Allotment id"), headers: IdempotencyHeaders },
  responses: { 200: jsonResponse("The released allotment", AllotmentSchema), ...adminWrite(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await releaseAllotment({ ctx: tenantContext(c), input: c.req.valid("param") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
