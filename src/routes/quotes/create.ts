import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { verifiedTokenKey } from "../../buyers/http";
import { GateHeaders } from "../../buyers/schemas";
import { memberOfToken } from "../../entitlements/verbs";
import { BuyerHeaders } from "../../holds/schemas";
import { optionalApiKey } from "../../http/auth";
import { type AppEnv, buyerContext, tokenContext } from "../../http/context";
import { buyerCountry } from "../../http/country";
import { problemResponses } from "../../http/openapi";
import { requestExposures } from "../../metrics/counters";
import { pricingBuyer } from "../../quotes/buyer";
import { CountryHeaders, CreateQuoteBody, QuoteSchema, type QuoteView } from "../../quotes/schemas";
import { quoteKeys } from "../../quotes/token";
import { createQuote } from "../../quotes/verbs";
import { enforce } from "../../ratelimit/enforce";
import { quoteLimitKey } from "../../ratelimit/keys";
import { jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "post",
  path: "/v1/quotes",
  tags: ["Quotes"],
  summary: "Price an offer for this buyer and sign the result as a quote checkout will honour",
  description:
    "Public: a buyer sends `Buyer-Id`, or `member_token` when signed in; a creator's server may instead " +
    "send its API key and `member_id`. A `Buyer-Token` (POST /v1/buyer-tokens) replaces Buyer-Id and is " +
    "always verified (401 when bad); drops that refuse invented buyers need it at checkout. " +
    "Quotes write nothing, so they need no Idempotency-Key; each call returns a fresh quote (10 minutes, " +
    "less for an upsell or a coupon that expires sooner). Coupons are checked but not redeemed: redemption " +
    "is counted when payment succeeds. An offer with an open or upcoming drop is quoted only with that " +
    "`drop_id`; a bundle's quote lists every component's drop its checkout will hold (`drops`). " +
    "A publishable key (`cc_pk_…`) names the creator: another creator's offer is 404, and the caller is " +
    "priced as a buyer (no `member_id`). A suspended creator's offer is 403 creator-suspended. " +
    "Refusals: 404 unknown offer; 409 archived offer, ended drop, upsell not eligible; 422 currency not " +
    "offered, a drop offer without its drop, coupon-unknown, -not-applicable, -expired, -exhausted, and " +
    "amount-out-of-range for a total no payment provider can charge (0 is always allowed).",
  middleware: [optionalApiKey] as const,
  request: {
    headers: BuyerHeaders.partial()
      .extend(CountryHeaders.shape)
      .extend(GateHeaders.pick({ "buyer-token": true }).shape),
    body: jsonBody(CreateQuoteBody),
  },
  responses: {
    201: jsonResponse("The quote: breakdown, total and signed token", QuoteSchema),
    ...problemResponses(400, 401, 403, 404, 409, 410, 413, 415, 422, 500),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  // A publishable key only names the creator the offer must belong to (another's is 404); its caller
  // is priced as a buyer: no member_id, no creator's rate-limit key, no "api" source.
  const named = c.get("caller");
  const caller = named?.kind === "publishable" ? null : named;
  const ctx = buyerContext(c);
  // Counted beside the pricing, not ahead of it, so the counter's round trip overlaps the pricing's own
  // reads; a quote priced over the limit is thrown away unsent.
  const counted = enforce(c, "quotes", quoteLimitKey(c, caller, body.member_id));
  const priced = createQuote({
    ctx: {
      ...ctx,
      caller,
      owner: named?.creatorId ?? null,
      quoteKeys: await quoteKeys(c.get("config").QUOTE_SIGNING_KEYS),
      exposures: requestExposures(c),
    },
    input: {
      offerId: body.offer_id,
      dropId: body.drop_id ?? null,
      quantity: body.quantity,
      currency: body.currency ?? null,
      country: buyerCountry(c),
      coupon: body.coupon ?? null,
      upsellOf: body.upsell_of ?? null,
      source: body.source,
      buyer: async (creatorId) =>
        pricingBuyer(ctx.db, creatorId, ctx.now, {
          caller,
          memberId: body.member_id,
          buyerId: c.req.valid("header")["buyer-id"],
          buyerTokenKey: await verifiedTokenKey(c, c.req.valid("header")["buyer-token"]),
          memberToken:
            body.member_token === undefined
              ? undefined
              : {
                  token: body.member_token,
                  memberOf: async (token, creatorId) =>
                    memberOfToken(await tokenContext(c), token, creatorId),
                },
        }),
    },
  });
  const [limit, quote] = await Promise.allSettled([counted, priced]);
  if (limit.status === "rejected") throw limit.reason;
  if (quote.status === "rejected") throw quote.reason;
  return c.json(quote.value, 201);
};

export const register: Register = (app) => app.openapi(route, handler);
export type CreateQuoteRequest = z.input<typeof CreateQuoteBody>;
export type CreateQuoteResponse = QuoteView;
