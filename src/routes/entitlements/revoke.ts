import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { type Entitlement, EntitlementSchema, RevokeEntitlementBody } from "../../entitlements/schemas";
import { revokeEntitlement } from "../../entitlements/verbs";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { IdempotencyHeaders, IdParam, jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "post",
  path: "/v1/entitlements/{id}/revoke",
  tags: ["Entitlements"],
  summary: "Revoke an entitlement (refund, chargeback, cancellation or admin)",
  description:
    "Bumps the member's token version: introspection refuses their older tokens at once, offline " +
    "verifiers stop accepting them when they expire (5 minutes by default), and refresh no longer lists " +
    "the entitlement. Revoking a revoked entitlement returns it unchanged.",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(200)] as const,
  request: {
    params: IdParam("Entitlement id"),
    headers: IdempotencyHeaders,
    body: jsonBody(RevokeEntitlementBody),
  },
  responses: { 200: jsonResponse("The revoked entitlement", EntitlementSchema), ...adminWrite(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(
    await revokeEntitlement({
      ctx: tenantContext(c),
      input: { id: c.req.valid("param").id, reason: c.req.valid("json").reason },
    }),
    200,
  );

export const register: Register = (app) => app.openapi(route, handler);
export type RevokeEntitlementRequest = z.input<typeof RevokeEntitlementBody>;
export type RevokeEntitlementResponse = Entitlement;
