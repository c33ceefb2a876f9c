import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import {
  type PriceTable,
  PriceTableSchema,
  PutPriceTableBody,
  putPriceTable,
} from "../../offers/price-table";
import { IdempotencyHeaders, IdParam, jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "put",
  path: "/v1/offers/{id}/price-table",
  tags: ["Offers"],
  summary: "Replace an offer's price table",
  description:
    "Prices per currency (each a multiple of the currency's charge step, with an optional floor no " +
    "discount goes below), purchasing-power prices per buyer country, and member-tier discounts (a tier's " +
    "discount also applies to higher tiers; a member gets the best one). New quotes use it at once in " +
    "this location and everywhere within 5 seconds.",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(200)] as const,
  request: { params: IdParam("Offer id"), headers: IdempotencyHeaders, body: jsonBody(PutPriceTableBody) },
  responses: { 200: jsonResponse("The new price table", PriceTableSchema), ...adminWrite(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(
    await putPriceTable({
      ctx: tenantContext(c),
      input: { id: c.req.valid("param").id, table: c.req.valid("json") },
    }),
    200,
  );

export const register: Register = (app) => app.openapi(route, handler);
export type PutPriceTableRequest = z.input<typeof PutPriceTableBody>;
export type PutPriceTableResponse = PriceTable;
