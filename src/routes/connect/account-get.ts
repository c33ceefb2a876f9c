import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { readAccount } from "../../connect/verbs";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { jsonResponse, type Register } from "../shared";
import { ConnectedAccountSchema, TAG } from "./shared";

export const route = createRoute({
  method: "get",
  path: "/v1/connect/account",
  tags: [TAG],
  summary: "The creator's connected account and its readiness for payouts",
  description:
    "Readiness as the provider last reported it (`account.updated`, re-read from the provider). 404 when " +
    "no account is linked. Secret key only.",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  responses: { 200: jsonResponse("The account", ConnectedAccountSchema), ...adminRead(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await readAccount(tenantContext(c)), 200);

export const register: Register = (app) => app.openapi(route, handler);
