import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { revokeEntitlement } from "../../entitlements/grants";
import { type Entitlement, EntitlementSchema, RevokeEntitlementQuery } from "../../entitlements/schemas";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { IdempotencyHeaders, IdParam, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "delete",
  path: "/v1/entitlements/{id}",
  tags: ["Entitlements"],
  summary: "Revoke an entitlement (refund, chargeback, cancellation or admin)",
  description:
    "Bumps the member's token version: introspection refuses their older tokens at once, offline " +
    "verifiers stop accepting them when they expire (5 minutes by default), and refresh no longer lists " +
    "the entitlement. Revoking a revoked entitlement returns it unchanged. The row is kept, with the " +
    "time and reason, for the audit trail.",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(200)] as const,
  request: { params: IdParam("Entitlement id"), query: RevokeEntitlementQuery, headers: IdempotencyHeaders },
  responses: { 200: jsonResponse("The revoked entitlement", EntitlementSchema), ...adminWrite(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(
    await revokeEntitlement({
      ctx: tenantContext(c),
      input: { id: c.req.valid("param").id, reason: c.req.valid("query").reason },
    }),
    200,
  );

export const register: Register = (app) => app.openapi(route, handler);
export type RevokeEntitlementRequest = z.input<typeof RevokeEntitlementQuery>;
export type RevokeEntitlementResponse = Entitlement;
