import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { type AccountView, linkAccount } from "../../connect/verbs";
import { requireApiKey } from "../../http/auth";
import type { AppEnv } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { IdempotencyHeaders, jsonBody, jsonResponse, type Register } from "../shared";
import { ConnectedAccountSchema, connectContext, LinkAccountBody, TAG } from "./shared";

export const route = createRoute({
  method: "post",
  path: "/v1/connect/account",
  tags: [TAG],
  summary: "Link the creator's connected account (Stripe Connect) for payouts",
  description:
    "Creates the creator's Express or Standard account at the provider, once per creator: a second call " +
    "answers the linked account (200) and changes nothing. Then send the creator through onboarding " +
    "(`POST /v1/connect/account-links`); checkouts are refused with `payouts-not-ready` until the account " +
    "is ready (docs/payouts.md). Secret key only.",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(201)] as const,
  request: { headers: IdempotencyHeaders, body: jsonBody(LinkAccountBody) },
  responses: {
    201: jsonResponse("The account, linked now", ConnectedAccountSchema),
    200: jsonResponse("The account linked before", ConnectedAccountSchema),
    ...adminWrite(404, 503),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { view, created } = await linkAccount({ ctx: connectContext(c), input: c.req.valid("json") });
  return created ? c.json(view, 201) : c.json(view, 200);
};

export const register: Register = (app) => app.openapi(route, handler);
export type LinkAccountRequest = z.input<typeof LinkAccountBody>;
export type ConnectedAccountResponse = AccountView;
