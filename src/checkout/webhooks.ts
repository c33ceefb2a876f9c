/** Stripe's webhooks into the payment inbox: verified on the raw body, stored once, handled after. */
import type Stripe from "stripe";
import { AppError } from "../errors";
import { stripeEventFrom } from "../payments/stripe";
import { type Ingested, ingestEvent } from "./events";
import type { PaymentContext } from "./settle";

/**
 * Verifies the delivery's signature (300 s tolerance) and stores the event. A bad or missing signature
 * writes nothing. The handling that may call Stripe back runs through `later`, after the answer.
 */
export async function receiveStripeWebhook(
  ctx: PaymentContext,
  input: { rawBody: string; signature: string | undefined; secret: string },
  later: (work: Promise<unknown>) => void,
): Promise<Ingested> {
  let event: Stripe.Event;
  try {
    event = await stripeEventFrom(input.rawBody, input.signature, input.secret, { now: ctx.now });
  } catch {
    throw new AppError(
      "webhook_signature_invalid",
      "The Stripe-Signature header is missing, malformed, stale, or does not match this body and secret.",
    );
  }
  return ingestEvent(
    ctx,
    { id: event.id, type: event.type, paymentId: paymentIdOf(event), payload: event },
    later,
  );
}

/** The PaymentIntent an event is about: the object itself, or a charge's `payment_intent`. */
function paymentIdOf(event: Stripe.Event): string | null {
  const object = event.data.object as { object?: string; id?: string; payment_intent?: unknown };
  if (object.object === "payment_intent" && typeof object.id === "string") return object.id;
  const pi = object.payment_intent;
  if (typeof pi === "string") return pi;
  if (typeof pi === "object" && pi !== null && typeof (pi as { id?: unknown }).id === "string") {
    return (pi as { id: string }).id;
  }
  return null;
}
