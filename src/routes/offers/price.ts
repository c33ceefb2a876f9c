import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { buyerKey } from "../../holds/buyer";
import { BuyerHeaders } from "../../holds/schemas";
import { type AppEnv, buyerContext } from "../../http/context";
import { buyerCountry } from "../../http/country";
import { problemResponses } from "../../http/openapi";
import { CountryHeaders, PriceQuery, PriceSchema, type PriceView } from "../../quotes/schemas";
import { previewPrice } from "../../quotes/verbs";
import { IdParam, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/offers/{id}/price",
  tags: ["Quotes"],
  summary: "What this buyer would pay for an offer: the pricing decision alone, unsigned",
  description:
    "Public, for product pages and live overlays. The same engine and experiment arm as a quote, without " +
    "coupons or member pricing, and without a token: quote before checkout.",
  request: {
    params: IdParam("Offer id"),
    query: PriceQuery,
    headers: BuyerHeaders.extend(CountryHeaders.shape),
  },
  responses: {
    200: jsonResponse("The priced breakdown", PriceSchema),
    ...problemResponses(404, 409, 422, 500),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const query = c.req.valid("query");
  const price = await previewPrice({
    ctx: buyerContext(c),
    input: {
      offerId: c.req.valid("param").id,
      quantity: query.quantity,
      currency: query.currency ?? null,
      country: buyerCountry(c),
      buyer: { key: buyerKey(c.req.valid("header")), member: null },
    },
  });
  return c.json(price, 200);
};

export const register: Register = (app) => app.openapi(route, handler);
export type OfferPriceQuery = z.input<typeof PriceQuery>;
export type OfferPriceResponse = PriceView;
