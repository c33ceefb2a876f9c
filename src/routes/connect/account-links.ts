import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { accountLink } from "../../connect/verbs";
import { requireApiKey } from "../../http/auth";
import type { AppEnv } from "../../http/context";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { jsonBody, jsonResponse, type Register } from "../shared";
import { AccountLinkBody, AccountLinkSchema, connectContext, TAG } from "./shared";

export const route = createRoute({
  method: "post",
  path: "/v1/connect/account-links",
  tags: [TAG],
  summary: "An onboarding link for the creator's connected account",
  description:
    "A single-use link to the provider's hosted onboarding, valid for minutes: ask for a new one each " +
    "time. It returns the creator to `return_url` (or the worker's /connect/return page), and an expired " +
    "link to `refresh_url` (or /connect/refresh). 404 when no account is linked. Secret key only.",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { body: jsonBody(AccountLinkBody) },
  responses: { 201: jsonResponse("The link", AccountLinkSchema), ...adminWrite(404, 503) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await accountLink({ ctx: connectContext(c), input: c.req.valid("json") }), 201);

export const register: Register = (app) => app.openapi(route, handler);
export type AccountLinkRequest = z.input<typeof AccountLinkBody>;
