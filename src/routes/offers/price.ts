import { createRoute, type z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { buyerKey } from "../../holds/buyer";
import { BuyerHeaders } from "../../holds/schemas";
import { type AppEnv, replicaBuyerContext } from "../../http/context";
import { buyerCountry } from "../../http/country";
import { problemResponses } from "../../http/openapi";
import { partsReader } from "../../http/validation";
import { CountryHeaders, PriceQuery, PriceSchema, type PriceView } from "../../quotes/schemas";
import { previewPrice } from "../../quotes/verbs";
import { IdParam, jsonResponse, type Register } from "../shared";

const parts = {
  param: IdParam("Offer id"),
  query: PriceQuery,
  header: BuyerHeaders.extend(CountryHeaders.shape),
};
const readParts = partsReader(parts);

export const route = createRoute({
  method: "get",
  path: "/v1/offers/{id}/price",
  tags: ["Quotes"],
  summary: "What this buyer would pay for an offer: the pricing decision alone, unsigned",
  description:
    "Public, for product pages and live overlays. The same engine and experiment arm as a quote, without " +
    "coupons or member pricing, and without a token: quote before checkout.",
  request: { params: parts.param, query: parts.query, headers: parts.header },
  responses: {
    200: jsonResponse("The priced breakdown", PriceSchema),
    ...problemResponses(404, 409, 422, 500),
  },
});

// Registered as a plain route with one synchronous validation pass (see partsReader): the live-overlay
// hot path. The document lists it from `route`, exactly as the other routes.
const handler = async (c: Context<AppEnv>) => {
  const { param, query, header } = readParts(c);
  const price = await previewPrice({
    ctx: replicaBuyerContext(c),
    input: {
      offerId: param.id,
      quantity: query.quantity,
      currency: query.currency ?? null,
      country: buyerCountry(c),
      buyer: { key: buyerKey(header), member: null },
    },
  });
  return c.json(price satisfies PriceView, 200);
};

export const register: Register = (app) => {
  app.openAPIRegistry.registerPath(route);
  app.get("/v1/offers/:id/price", handler);
};
export type OfferPriceQuery = z.input<typeof PriceQuery>;
export type OfferPriceResponse = PriceView;
