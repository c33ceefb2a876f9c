import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { getSubscriptionSettings, SubscriptionSettingsSchema } from "../../subscriptions/settings";
import { jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/subscription-settings",
  tags: ["Subscriptions"],
  summary: "The creator's subscription settings: renewal leeway, past_due grace, dunning outcome",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  responses: { 200: jsonResponse("The settings", SubscriptionSettingsSchema), ...adminRead() },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await getSubscriptionSettings({ ctx: tenantContext(c), input: undefined }), 200);

export const register: Register = (app) => app.openapi(route, handler);
