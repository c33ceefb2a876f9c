import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { receiveStripeWebhook } from "../../checkout/webhooks";
import { AppError } from "../../errors";
import { type AppEnv, checkoutContext } from "../../http/context";
import { problemResponses } from "../../http/openapi";
import { jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "post",
  path: "/v1/webhooks/stripe",
  tags: ["Checkout"],
  summary: "Stripe's webhook endpoint: verify, store each event once, acknowledge, handle after",
  description:
    "Verified on the raw body with the endpoint's signing secret (`STRIPE_WEBHOOK_SECRET`, 300 s tolerance), " +
    "or the Connect endpoint's (`STRIPE_CONNECT_WEBHOOK_SECRET`) when set; `account.updated` re-reads the " +
    "connected account and stores its readiness (docs/payouts.md); " +
    "a bad or missing signature is 400 and writes nothing, and so is a signed body that is not a well-formed " +
    "event (`webhook-event-malformed`: no string `id` or `type`, or no object `data.object`). " +
    "Each event id is stored once: a redelivery is " +
    "acknowledged and changes nothing. Types it does not handle are acknowledged. Handling re-reads the " +
    "PaymentIntent from Stripe after the answer, so events may arrive in any order; the cron retries any " +
    "whose handling did not finish.",
  request: {
    headers: z.object({ "stripe-signature": z.string().optional() }),
  },
  responses: {
    200: jsonResponse("Received", z.object({ received: z.literal(true), outcome: z.string() })),
    ...problemResponses(400, 404, 413, 500),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const config = c.get("config");
  if (config.STRIPE_SECRET_KEY === undefined || config.STRIPE_WEBHOOK_SECRET === undefined) {
    throw new AppError("not_found", "Stripe is not configured for this worker.");
  }
  const ctx = await checkoutContext(c);
  const outcome = await receiveStripeWebhook(
    ctx,
    {
      rawBody: await c.req.text(),
      signature: c.req.valid("header")["stripe-signature"],
      secret: config.STRIPE_WEBHOOK_SECRET,
      connectSecret: config.STRIPE_CONNECT_WEBHOOK_SECRET,
    },
    (work) => c.executionCtx.waitUntil(work),
  );
  return c.json({ received: true as const, outcome }, 200);
};

export const register: Register = (app) => app.openapi(route, handler);
