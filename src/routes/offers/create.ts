import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { CreateOfferBody, type Offer, OfferSchema } from "../../offers/schemas";
import { createOffer } from "../../offers/verbs";
import { IdempotencyHeaders, jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "post",
  path: "/v1/offers",
  tags: ["Offers"],
  summary: "Create an offer: a one-time item, a membership tier, an upsell or a bundle",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(201)] as const,
  request: { headers: IdempotencyHeaders, body: jsonBody(CreateOfferBody) },
  responses: { 201: jsonResponse("The new offer", OfferSchema), ...adminWrite() },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await createOffer({ ctx: tenantContext(c), input: c.req.valid("json") }), 201);

export const register: Register = (app) => app.openapi(route, handler);
export type CreateOfferRequest = z.input<typeof CreateOfferBody>;
export type CreateOfferResponse = Offer;
