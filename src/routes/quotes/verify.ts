import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import type { AppEnv } from "../../http/context";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { VerifiedQuoteSchema, type VerifiedQuoteView, VerifyQuoteBody } from "../../quotes/schemas";
import { quoteKeys } from "../../quotes/token";
import { checkQuote } from "../../quotes/verbs";
import { jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "post",
  path: "/v1/quotes/verify",
  tags: ["Quotes"],
  summary: "Check a quote token: signature, expiry and owner, as checkout will",
  description:
    "Reads only; writes nothing. 422 quote-invalid for any altered, truncated or foreign token; " +
    "410 quote-expired; 404 for another creator's quote.",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { body: jsonBody(VerifyQuoteBody) },
  responses: {
    200: jsonResponse("What the quote binds", VerifiedQuoteSchema),
    ...adminWrite(404, 410),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(
    await checkQuote({
      ctx: {
        creatorId: c.get("tenant").creatorId,
        now: c.get("clock").now(),
        quoteKeys: await quoteKeys(c.get("config").QUOTE_SIGNING_KEYS),
      },
      input: c.req.valid("json"),
    }),
    200,
  );

export const register: Register = (app) => app.openapi(route, handler);
export type VerifyQuoteRequest = z.input<typeof VerifyQuoteBody>;
export type VerifyQuoteResponse = VerifiedQuoteView;
