import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { ExchangeBody, SessionSchema, type SessionView } from "../../entitlements/schemas";
import { exchangeRefresh } from "../../entitlements/verbs";
import { type AppEnv, tokenContext } from "../../http/context";
import { idempotencyKeyOf } from "../../http/idempotency";
import { problemResponses } from "../../http/openapi";
import { guardFailures, isAppError } from "../../ratelimit/enforce";
import { ipKey } from "../../ratelimit/keys";
import { jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "post",
  path: "/v1/entitlements/token",
  tags: ["Entitlements"],
  summary: "Exchange a refresh credential for a fresh entitlement token and the credential's successor",
  description:
    "Public: the credential is the authority. Every use replaces the credential; keep the new one. " +
    "Presenting a replaced credential again revokes its whole family (401). To retry safely after a lost " +
    "response, send the same Idempotency-Key: within 5 minutes, and while the successor is unused, the " +
    "retry returns the same successor and a fresh token.",
  request: {
    headers: z.object({
      "idempotency-key": z.string().optional().openapi({
        description: "Makes a retry return the same successor credential (see above).",
      }),
    }),
    body: jsonBody(ExchangeBody),
  },
  responses: {
    200: jsonResponse("A fresh token and the successor credential", SessionSchema),
    ...problemResponses(400, 401, 413, 415, 422, 500),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  // Bad credentials count per address (docs/rate-limits.md says why not per member).
  const limits = [["refresh_failures_ip", ipKey(c)]] as const;
  const session = await guardFailures(c, limits, isAppError("refresh_token_invalid"), async () =>
    exchangeRefresh({
      ctx: await tokenContext(c),
      input: {
        credential: c.req.valid("json").refresh_token,
        idempotencyKey: idempotencyKeyOf(c, { required: false }),
      },
    }),
  );
  return c.json(session, 200);
};

export const register: Register = (app) => app.openapi(route, handler);
export type ExchangeRequest = z.input<typeof ExchangeBody>;
export type ExchangeResponse = SessionView;
