import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { type Offer, OfferSchema } from "../../offers/schemas";
import { getOffer } from "../../offers/verbs";
import { IdParam, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/offers/{id}",
  tags: ["Offers"],
  summary: "Get one of the creator's offers",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { params: IdParam("Offer id") },
  responses: { 200: jsonResponse("The offer", OfferSchema), ...adminRead(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await getOffer({ ctx: tenantContext(c), input: c.req.valid("param") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type GetOfferResponse = Offer;
