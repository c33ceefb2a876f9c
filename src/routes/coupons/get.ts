import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type Coupon, CouponSchema } from "../../coupons/schemas";
import { getCoupon } from "../../coupons/verbs";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { IdParam, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/coupons/{id}",
  tags: ["Coupons"],
  summary: "Get one of the creator's coupons",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { params: IdParam("Coupon id") },
  responses: { 200: jsonResponse("The coupon", CouponSchema), ...adminRead(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await getCoupon({ ctx: tenantContext(c), input: c.req.valid("param") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type GetCouponResponse = Coupon;
