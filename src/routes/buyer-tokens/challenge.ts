import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { buyerTokenContext } from "../../buyers/http";
import { DEFAULT_DIFFICULTY } from "../../buyers/pow";
import { ChallengeQuery, ChallengeSchema, type ChallengeView } from "../../buyers/schemas";
import { issueChallenge } from "../../buyers/verbs";
import { dropSettings } from "../../drops/settings";
import { invalid } from "../../errors";
import type { AppEnv } from "../../http/context";
import { problemResponses } from "../../http/openapi";
import { jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/buyer-tokens/challenge",
  tags: ["Buyer tokens"],
  summary: "A proof-of-work challenge to earn a buyer token with",
  description:
    "Public. Signed and valid five minutes; nothing is stored until it is redeemed at POST " +
    "/v1/buyer-tokens. `drop_id` asks for the difficulty that drop requires (404 for an unknown drop); " +
    "`difficulty` asks for a given number of bits (1 to 28); neither gives 18. `clients/buyer-token` " +
    "solves it in a browser with WebCrypto.",
  request: { query: ChallengeQuery },
  responses: {
    200: jsonResponse("The challenge", ChallengeSchema),
    ...problemResponses(400, 404, 422, 429, 500),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const query = c.req.valid("query");
  if (query.drop_id !== undefined && query.difficulty !== undefined) {
    throw invalid([{ in: "query", path: "/difficulty", message: "Send drop_id or difficulty, not both" }]);
  }
  const ctx = await buyerTokenContext(c);
  const difficulty =
    query.drop_id === undefined
      ? (query.difficulty ?? DEFAULT_DIFFICULTY)
      : ((await dropSettings(c.get("db"), query.drop_id, ctx.now)).powDifficulty ?? DEFAULT_DIFFICULTY);
  // Never cached by anyone: each challenge is single-use.
  c.header("cache-control", "no-store");
  return c.json(await issueChallenge({ ctx, input: { difficulty } }), 200);
};

export const register: Register = (app) => app.openapi(route, handler);
export type ChallengeRequest = z.input<typeof ChallengeQuery>;
export type ChallengeResponse = ChallengeView;
