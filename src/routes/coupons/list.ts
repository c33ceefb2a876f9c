import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { CouponSchema } from "../../coupons/schemas";
import { listCoupons } from "../../coupons/verbs";
import { couponStatuses } from "../../db/schema";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { PageQuerySchema, pageOf } from "../../http/pagination";
import { jsonResponse, type Register } from "../shared";

const Query = PageQuerySchema.extend({ status: z.enum(couponStatuses).optional() });
const Page = pageOf(CouponSchema).openapi("CouponList");

export const route = createRoute({
  method: "get",
  path: "/v1/coupons",
  tags: ["Coupons"],
  summary: "List the creator's coupons, newest first",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { query: Query },
  responses: { 200: jsonResponse("A page of coupons", Page), ...adminRead(422) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await listCoupons({ ctx: tenantContext(c), input: c.req.valid("query") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type ListCouponsResponse = z.infer<typeof Page>;
