import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { type Coupon, CouponSchema, UpdateCouponBody } from "../../coupons/schemas";
import { updateCoupon } from "../../coupons/verbs";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { IdempotencyHeaders, IdParam, jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "patch",
  path: "/v1/coupons/{id}",
  tags: ["Coupons"],
  summary: "Update a coupon: archive or reactivate it, change its expiry or its redemption cap",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(200)] as const,
  request: { params: IdParam("Coupon id"), headers: IdempotencyHeaders, body: jsonBody(UpdateCouponBody) },
  responses: { 200: jsonResponse("The updated coupon", CouponSchema), ...adminWrite(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(
    await updateCoupon({
      ctx: tenantContext(c),
      input: { id: c.req.valid("param").id, changes: c.req.valid("json") },
    }),
    200,
  );

export const register: Register = (app) => app.openapi(route, handler);
export type UpdateCouponRequest = z.input<typeof UpdateCouponBody>;
export type UpdateCouponResponse = Coupon;
