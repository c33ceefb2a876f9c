import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { getRules } from "../../fulfilment/hubs";
import { RulesSchema, type RulesView } from "../../fulfilment/schemas";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/fulfilment-rules",
  tags: ["Fulfilment"],
  summary: "The creator's routing rule: which path and hub a paid physical order goes to",
  description:
    "With no rule set, the built-in one (`updated_at: null`): every physical order goes `central`, with no hub.",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  responses: { 200: jsonResponse("The rule", RulesSchema), ...adminRead() },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await getRules({ ctx: tenantContext(c), input: undefined }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type GetRulesResponse = RulesView;
