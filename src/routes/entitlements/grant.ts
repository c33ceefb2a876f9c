import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { grantEntitlement } from "../../entitlements/grants";
import {
  type Entitlement,
  GrantEntitlementBody,
  type GrantedEntitlement,
  GrantedEntitlementSchema,
} from "../../entitlements/schemas";
import { issueToken } from "../../entitlements/verbs";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, entitlementContext, tenantContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { IdempotencyHeaders, jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "post",
  path: "/v1/entitlements",
  tags: ["Entitlements"],
  summary: "Grant a member an offer or a named benefit, and mint them a token that lists it",
  description:
    "Idempotent per source: the same `reference` and benefit answer 200 with the first grant. A replay " +
    "under the same Idempotency-Key returns the same entitlement with a freshly minted token.",
  security: bearerSecurity,
  middleware: [
    requireApiKey,
    idempotent(201, { replay: (c, stored) => withToken(c, stored as Entitlement) }),
  ] as const,
  request: { headers: IdempotencyHeaders, body: jsonBody(GrantEntitlementBody) },
  responses: {
    201: jsonResponse("The new entitlement and a token", GrantedEntitlementSchema),
    200: jsonResponse(
      "The reference already granted this benefit: the first grant",
      GrantedEntitlementSchema,
    ),
    ...adminWrite(),
  },
});

async function withToken(c: Context<AppEnv>, entitlement: Entitlement): Promise<GrantedEntitlement> {
  const token = await issueToken({
    ctx: await entitlementContext(c),
    input: { memberId: entitlement.member_id },
  });
  return { ...entitlement, token };
}

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { entitlement, created } = await grantEntitlement({
    ctx: tenantContext(c),
    input: c.req.valid("json"),
  });
  return c.json(await withToken(c, entitlement), created ? 201 : 200);
};

export const register: Register = (app) => app.openapi(route, handler);
export type GrantEntitlementRequest = z.input<typeof GrantEntitlementBody>;
export type GrantEntitlementResponse = GrantedEntitlement;
