import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { buyerTokenContext } from "../../buyers/http";
import { BuyerTokenSchema, type BuyerTokenView, MintBuyerTokenBody } from "../../buyers/schemas";
import { mintBuyerToken } from "../../buyers/verbs";
import type { AppEnv } from "../../http/context";
import { problemResponses } from "../../http/openapi";
import { enforce } from "../../ratelimit/enforce";
import { ipKey } from "../../ratelimit/keys";
import { jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "post",
  path: "/v1/buyer-tokens",
  tags: ["Buyer tokens"],
  summary: "Mint a buyer token: an identity the server chose, for drops that refuse invented Buyer-Ids",
  description:
    "Public: no API key. Counted per connecting IP (policy `buyer_token_mint`, 429 with Retry-After " +
    "past it), every attempt alike. An empty body mints a token with 0 proof-of-work bits, enough for " +
    "drops whose buyer_proof is `token`. For `pow` drops, send a `challenge` from " +
    "GET /v1/buyer-tokens/challenge and the `nonce` that solves it: the token carries the challenge's " +
    "difficulty in bits. A challenge solves once (409 pow-challenge-used); an altered or expired one is " +
    "422 pow-challenge-invalid; a nonce that does not reach the difficulty is 422 pow-solution-invalid.",
  request: { body: jsonBody(MintBuyerTokenBody) },
  responses: {
    201: jsonResponse("The buyer token", BuyerTokenSchema),
    ...problemResponses(400, 409, 413, 415, 422, 429, 500),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  // Before any work: an IP over its share mints nothing, whether or not it brought a solution.
  await enforce(c, "buyer_token_mint", ipKey(c));
  const token = await mintBuyerToken({ ctx: await buyerTokenContext(c), input: body });
  return c.json(token, 201);
};

export const register: Register = (app) => app.openapi(route, handler);
export type MintBuyerTokenRequest = z.input<typeof MintBuyerTokenBody>;
export type MintBuyerTokenResponse = BuyerTokenView;
