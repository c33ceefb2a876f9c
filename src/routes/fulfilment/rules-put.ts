import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { putRules } from "../../fulfilment/hubs";
import { RuleDocumentBody } from "../../fulfilment/rules";
import { RulesSchema, type RulesView } from "../../fulfilment/schemas";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { IdempotencyHeaders, jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "put",
  path: "/v1/fulfilment-rules",
  tags: ["Fulfilment"],
  summary: "Replace the creator's routing rule",
  description:
    "An ordered list of conditions (countries, ISO 3166-2 regions such as `US-CA`, quantity and amount " +
    "bounds, inclusive; an amount bound names its currency), each naming a path and hub; the first match " +
    "wins, else `default`. Every hub named must be the creator's, active, and of the path's kind (422). " +
    "Applies to orders paid from now on.",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(200)] as const,
  request: { headers: IdempotencyHeaders, body: jsonBody(RuleDocumentBody) },
  responses: { 200: jsonResponse("The new rule", RulesSchema), ...adminWrite() },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await putRules({ ctx: tenantContext(c), input: c.req.valid("json") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type PutRulesRequest = z.input<typeof RuleDocumentBody>;
export type PutRulesResponse = RulesView;
