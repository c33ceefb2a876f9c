import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { type Offer, OfferSchema, UpdateOfferBody } from "../../offers/schemas";
import { updateOffer } from "../../offers/verbs";
import { IdempotencyHeaders, IdParam, jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "patch",
  path: "/v1/offers/{id}",
  tags: ["Offers"],
  summary: "Update an offer; prices and components, when given, replace the old ones",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(200)] as const,
  request: { params: IdParam("Offer id"), headers: IdempotencyHeaders, body: jsonBody(UpdateOfferBody) },
  responses: { 200: jsonResponse("The updated offer", OfferSchema), ...adminWrite(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(
    await updateOffer({
      ctx: tenantContext(c),
      input: { id: c.req.valid("param").id, changes: c.req.valid("json") },
    }),
    200,
  );

export const register: Register = (app) => app.openapi(route, handler);
export type UpdateOfferRequest = z.input<typeof UpdateOfferBody>;
export type UpdateOfferResponse = Offer;
