/** Stripe's webhooks into the payment inbox: verified on the raw body, stored once, handled after. */
import { z } from "@hono/zod-openapi";
import Stripe from "stripe";
import { syncAccount } from "../connect/verbs";
import { AppError, type FieldError } from "../errors";
import { stripeEventFrom } from "../payments/stripe";
import { type Ingested, ingestEvent } from "./events";
import type { PaymentContext } from "./settle";

/**
 * What every Stripe event carries, whatever its type: an id to store it under, a type, and a
 * `data.object`. A body that verifies but lacks them is not an event (a signing-secret holder's
 * probe, a proxy that rewrote it): it is refused before anything is stored.
 */
const EventEnvelope = z.object({
  id: z.string().min(1).max(255),
  type: z.string().min(1).max(255),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

/**
 * Verifies the delivery's signature (300 s tolerance) and stores the event. A bad or missing signature
 * writes nothing; so does a signed body that is not a well-formed event (400, and Stripe's retries show
 * the failure in its dashboard rather than an acknowledgement hiding it). The handling that may call
 * Stripe back runs through `later`, after the answer.
 */
export async function receiveStripeWebhook(
  ctx: PaymentContext,
  input: {
    rawBody: string;
    signature: string | undefined;
    secret: string;
    /** The Connect endpoint's secret: events from connected accounts (`account.updated`) are signed with it. */
    connectSecret?: string | undefined;
  },
  later: (work: Promise<unknown>) => void,
): Promise<Ingested> {
  let parsed: unknown;
  try {
    parsed = await verified(ctx, input);
  } catch (error) {
    // The SDK verifies the signature first, then parses: any other failure is a signed non-JSON body.
    if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
      throw new AppError(
        "webhook_signature_invalid",
        "The Stripe-Signature header is missing, malformed, stale, or does not match this body and secret.",
      );
    }
    throw malformed([{ in: "body", path: "", message: "Not JSON" }]);
  }
  const envelope = EventEnvelope.safeParse(parsed);
  if (!envelope.success) {
    throw malformed(
      envelope.error.issues.map((issue) => ({
        in: "body" as const,
        path: issue.path.map((segment) => `/${String(segment)}`).join(""),
        message: issue.message,
      })),
    );
  }
  const event = envelope.data;
  if (event.type === "account.updated") return accountUpdated(ctx, event, parsed);
  return ingestEvent(
    ctx,
    { id: event.id, type: event.type, paymentId: paymentIdOf(event.data.object), payload: parsed },
    later,
  );
}

/** The platform endpoint's secret first; a signature it does not match may be the Connect endpoint's. */
async function verified(
  ctx: PaymentContext,
  input: {
    rawBody: string;
    signature: string | undefined;
    secret: string;
    connectSecret?: string | undefined;
  },
): Promise<unknown> {
  try {
    return await stripeEventFrom(input.rawBody, input.signature, input.secret, { now: ctx.now });
  } catch (error) {
    if (
      input.connectSecret === undefined ||
      !(error instanceof Stripe.errors.StripeSignatureVerificationError)
    ) {
      throw error;
    }
    return stripeEventFrom(input.rawBody, input.signature, input.connectSecret, { now: ctx.now });
  }
}

/**
 * A connected account changed (docs/payouts.md). The account is re-read from the provider before the
 * answer (events arrive in any order; the account now is the truth), so a failed re-read answers an
 * error and Stripe delivers again; only then is the event stored. A redelivery re-reads again, which
 * changes nothing.
 */
async function accountUpdated(
  ctx: PaymentContext,
  event: { id: string; type: string; data: { object: Record<string, unknown> } },
  payload: unknown,
): Promise<Ingested> {
  const accountId = event.data.object.id;
  if (typeof accountId === "string" && ctx.provider.connect !== undefined) {
    await syncAccount(ctx.db, ctx.provider.connect, accountId, ctx.now, `provider:${ctx.provider.name}`);
  }
  return ingestEvent(ctx, { id: event.id, type: event.type, paymentId: null, payload });
}

const malformed = (errors: FieldError[]) =>
  new AppError(
    "webhook_event_malformed",
    "The body verifies but is not a Stripe event: it needs a string `id`, a string `type` and an object `data.object`.",
    { errors },
  );

/** The PaymentIntent an event is about: the object itself, or a charge's or dispute's `payment_intent`. */
function paymentIdOf(object: Record<string, unknown>): string | null {
  if (object.object === "payment_intent" && typeof object.id === "string") return object.id;
  const pi = object.payment_intent;
  if (typeof pi === "string") return pi;
  if (typeof pi === "object" && pi !== null && typeof (pi as { id?: unknown }).id === "string") {
    return (pi as { id: string }).id;
  }
  return null;
}
