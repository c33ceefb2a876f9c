import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { decodeJwt } from "jose";
import { gateContext } from "../../buyers/http";
import { GateHeaders } from "../../buyers/schemas";
import { createCheckout } from "../../checkout/create";
import { checkoutReads, factsOf } from "../../checkout/reads";
import { CreateCheckoutBody, CreatedCheckoutSchema } from "../../checkout/schemas";
import { withEntitlement } from "../../checkout/verbs";
import { gateCheckout } from "../../drops/gate";
import { primeDropSettings, settingsRead } from "../../drops/settings";
import { AppError, invalid, notFound } from "../../errors";
import { BuyerHeaders } from "../../holds/schemas";
import { optionalApiKey } from "../../http/auth";
import { type AppEnv, checkoutContext } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { problemResponses } from "../../http/openapi";
import { checkoutHoldExposures, requestExposures } from "../../metrics/counters";
import { type QuoteClaims, quoteKeys, verifyQuote } from "../../quotes/token";
import { jsonBody, jsonResponse, type Register } from "../shared";

/**
 * Idempotency keys are the creator's, and the quote names the creator. Its signature is checked before
 * any key is claimed, so nobody can claim keys in the scope of a creator they hold no quote from, or of
 * one that does not exist. Expiry is left to the handler: a replay of a stored answer stays a replay
 * after the quote's ten minutes.
 */
/** The quote the scope verified, for the handler: its signature is checked once per request. */
const verified = new WeakMap<Request, QuoteClaims>();

async function creatorOfQuote(c: Context<AppEnv>): Promise<string> {
  // The media type and size were checked before this runs (src/http/body.ts).
  const body = (await c.req.json().catch(() => {
    throw new AppError("malformed_request", "The body is not valid JSON.");
  })) as { quote?: unknown } | null;
  const token = typeof body?.quote === "string" ? body.quote : undefined;
  let issuedAt: unknown;
  try {
    issuedAt = token === undefined ? undefined : decodeJwt(token).iat;
  } catch {
    // not a JWT: refused below
  }
  if (token === undefined || typeof issuedAt !== "number") {
    throw invalid([{ in: "body", path: "/quote", message: "Not a quote token" }]);
  }
  const keys = await quoteKeys(c.get("config").QUOTE_SIGNING_KEYS);
  const quote = await verifyQuote(keys, token, issuedAt * 1000);
  // A key sent with the checkout (optionalApiKey: a publishable one, typically) names the creator the
  // quote must be from; another creator's quote reads as unknown, before any key is claimed.
  const owner = c.get("caller")?.creatorId;
  if (owner !== undefined && owner !== quote.creatorId) throw notFound("quote", quote.id);
  verified.set(c.req.raw, quote);
  return quote.creatorId;
}

/** Everything the create decides on, read in the claim's own batch (see src/checkout/reads.ts). */
async function checkoutReadsOf(c: Context<AppEnv>) {
  const quote = verified.get(c.req.raw);
  const body = (await c.req.json()) as { email?: unknown };
  if (quote === undefined || typeof body.email !== "string") return [];
  const reads = checkoutReads(c.get("db"), quote, normalizedEmail(body.email));
  // The gate's drop settings ride the same batch, last: no round trip of their own (drops/settings.ts).
  if (quote.drops.length === 0) return reads;
  return [
    ...reads,
    settingsRead(
      c.get("db"),
      quote.drops.map((d) => d.dropId),
    ),
  ];
}

const normalizedEmail = (email: string) => email.trim().toLowerCase();

/** A replay answers the stored checkout as it was, with a fresh token once it was paid. */
async function replay(c: Context<AppEnv>, stored: unknown) {
  const view = stored as { id: string; secret: string; status: string };
  if (view.status !== "paid") return { ...view, entitlement: null };
  const { entitlement } = await withEntitlement(await checkoutContext(c), view);
  return { ...view, entitlement };
}

export const route = createRoute({
  method: "post",
  path: "/v1/checkouts",
  tags: ["Checkout"],
  summary: "Start paying for a quote: hold the units, create the payment, store the order as pending",
  description:
    "Public. `Idempotency-Key` is required: the same key and body replay the stored response, another " +
    "body is 422, a request still running is 409; keys are the creator's and kept 24 hours. With " +
    "`payment_method` the payment is confirmed at once and the answer may already be `paid`, " +
    "`requires_action` (3-D Secure: follow `payment.next_action`, then confirm) or `failed` (declined: " +
    "the hold is released). Without it, confirm on the client with `payment.client_secret`. Every drop " +
    "the quote holds is gated as a direct hold is: a drop whose buyer_proof is token or pow needs the " +
    "quote's buyer to send their Buyer-Token (401 buyer-token-required; a member's quote passes), a " +
    "Buyer-Token for another buyer than the quote's is 422, and a live queued drop needs this buyer's " +
    "Admission-Token for it (403 admission-required). A creator's publishable key (`cc_pk_…`) may be " +
    "sent: a quote of another creator is then 404.",
  middleware: [
    optionalApiKey,
    idempotent(201, { required: true, scope: creatorOfQuote, alongside: checkoutReadsOf, replay }),
  ] as const,
  request: {
    headers: BuyerHeaders.partial()
      .extend(GateHeaders.shape)
      .extend({
        "idempotency-key": z.string().openapi({ description: "Required: makes the checkout safe to retry." }),
      }),
    body: jsonBody(CreateCheckoutBody),
  },
  responses: {
    201: jsonResponse("The checkout, with its secret", CreatedCheckoutSchema),
    ...problemResponses(400, 401, 403, 404, 409, 410, 413, 415, 422, 429, 500, 503),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const headers = c.req.valid("header");
  const ctx = await checkoutContext(c);
  const quote = verified.get(c.req.raw);
  // The scope always runs first (the key is required); expiry is checked here, at the request's time.
  if (quote === undefined) throw new Error("the quote was not verified before the handler");
  if (ctx.now >= quote.expiresAt)
    throw new AppError("quote_expired", "The quote has expired; ask for a new one.");
  const facts = factsFrom(c.get("idempotency")?.alongside, quote, ctx.now);
  const gate = await gateCheckout(await gateContext(c), quote, headers);
  const checkout = await createCheckout({
    ctx,
    input: {
      quote,
      idempotencyKey: headers["idempotency-key"],
      email: normalizedEmail(body.email),
      memberToken: body.member_token,
      buyerId: headers["buyer-id"],
      buyerTokenKey: gate.tokenKey,
      paymentMethod: body.payment_method,
      returnUrl: body.return_url,
      source: body.source,
      attribution: body.attribution,
      shippingAddress: body.shipping_address,
      facts,
    },
  });
  requestExposures(c)(checkoutHoldExposures(quote, body.source, ctx.now));
  return c.json(checkout, 201);
};

/**
 * The claim's reads, when it carried them (an email the body validation accepted). The drop settings
 * read last, when the quote holds drops, primes the gate's copy (it is not a checkout fact).
 */
function factsFrom(results: unknown[] | undefined, quote: QuoteClaims, now: number) {
  if (results === undefined || results.length === 0) return undefined;
  if (quote.drops.length === 0) return factsOf(results);
  primeDropSettings(results.at(-1) as Parameters<typeof primeDropSettings>[0], now);
  return factsOf(results.slice(0, -1));
}

export const register: Register = (app) => app.openapi(route, handler);
export type CreateCheckoutRequest = z.input<typeof CreateCheckoutBody>;
