import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { type Coupon, CouponSchema, CreateCouponBody } from "../../coupons/schemas";
import { createCoupon } from "../../coupons/verbs";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { IdempotencyHeaders, jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "post",
  path: "/v1/coupons",
  tags: ["Coupons"],
  summary: "Create a coupon: a percent or a fixed amount off, optionally limited to offers, time and uses",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(201)] as const,
  request: { headers: IdempotencyHeaders, body: jsonBody(CreateCouponBody) },
  responses: { 201: jsonResponse("The new coupon", CouponSchema), ...adminWrite() },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await createCoupon({ ctx: tenantContext(c), input: c.req.valid("json") }), 201);

export const register: Register = (app) => app.openapi(route, handler);
export type CreateCouponRequest = z.input<typeof CreateCouponBody>;
export type CreateCouponResponse = Coupon;
