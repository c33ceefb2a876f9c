import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { getPriceTable, type PriceTable, PriceTableSchema } from "../../offers/price-table";
import { IdParam, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/offers/{id}/price-table",
  tags: ["Offers"],
  summary: "An offer's price table: prices and floors per currency, country prices, member discounts",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { params: IdParam("Offer id") },
  responses: { 200: jsonResponse("The price table", PriceTableSchema), ...adminRead(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await getPriceTable({ ctx: tenantContext(c), input: c.req.valid("param") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type GetPriceTableResponse = PriceTable;
