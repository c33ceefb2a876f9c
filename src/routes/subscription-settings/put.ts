import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import {
  putSubscriptionSettings,
  SubscriptionSettingsBody,
  SubscriptionSettingsSchema,
} from "../../subscriptions/settings";
import { IdempotencyHeaders, jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "put",
  path: "/v1/subscription-settings",
  tags: ["Subscriptions"],
  summary: "Replace the creator's subscription settings",
  description:
    "Defaults: a 120-minute renewal leeway, 72 hours of past_due grace, `unpaid` when the last retry fails. " +
    "They apply to each subscription at its next change or step (a renewal, a retry, a member's change).",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(200)] as const,
  request: { headers: IdempotencyHeaders, body: jsonBody(SubscriptionSettingsBody) },
  responses: { 200: jsonResponse("The new settings", SubscriptionSettingsSchema), ...adminWrite() },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await putSubscriptionSettings({ ctx: tenantContext(c), input: c.req.valid("json") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
