import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { SessionSchema, type SessionView, StartSessionBody } from "../../entitlements/schemas";
import { startSession } from "../../entitlements/verbs";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, entitlementContext } from "../../http/context";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { IdParam, jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "post",
  path: "/v1/members/{id}/sessions",
  tags: ["Members"],
  summary: "Sign a member in: an entitlement token and the first refresh credential of a new family",
  description:
    "For the creator's server once it knows who the member is. Each call starts a separate family, so " +
    "a retry is harmless (the unused family simply expires in 30 days) and needs no Idempotency-Key; " +
    "the credential is shown only in this response and never stored in plain text.",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { params: IdParam("Member id"), body: jsonBody(StartSessionBody) },
  responses: { 201: jsonResponse("A token and a refresh credential", SessionSchema), ...adminWrite(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(
    await startSession({
      ctx: await entitlementContext(c),
      input: { memberId: c.req.valid("param").id, surface: c.req.valid("json").surface },
    }),
    201,
  );

export const register: Register = (app) => app.openapi(route, handler);
export type StartSessionRequest = z.input<typeof StartSessionBody>;
export type StartSessionResponse = SessionView;
