/**
 * The Stripe provider: PaymentIntents, Refunds and Disputes through the official SDK, with our own retry
 * loop; Billing in stripe-subscriptions.ts, Connect (destination charges, accounts) in stripe-connect.ts.
 *
 * The SDK's own retries are off (`maxNetworkRetries: 0`) because it does not retry 429s and does not say
 * how many attempts a call took; checkout reports both. Every retry reuses the caller's idempotency key,
 * so a retried create can never make a second PaymentIntent. Only what Stripe marks as retryable is
 * retried: a failed connection, 409 (lock), 429 (rate limit) and 5xx, with `Stripe-Should-Retry`
 * overriding in either direction. A decline is Stripe's answer, not a failure: it is never retried and
 * comes back as a Payment with `lastError`.
 */
import Stripe from "stripe";
import type {
  CreatePayment,
  Dispute,
  Payment,
  PaymentFailure,
  PaymentProvider,
  PaymentStatus,
  Refund,
} from "./provider";
import * as connect from "./stripe-connect";
import { retrying } from "./stripe-retries";
import { billingMethods } from "./stripe-subscriptions";

export { backoffMs } from "./stripe-retries";

export interface StripeProviderOptions {
  secretKey: string;
  /** Where the API lives, e.g. `http://stripe.test` for a fake; Stripe's own API when absent. */
  apiBase?: string;
  fetch?: typeof fetch;
  /** How backoff waits; tests pass one that returns at once. */
  sleep?: (ms: number) => Promise<void>;
  /** Retries after the first attempt (default 3, so 4 attempts). */
  maxRetries?: number;
  /** Jitter source in [0, 1). */
  random?: () => number;
}

/** Stripe's default, and what its documentation recommends: older signatures may be replays. */
const WEBHOOK_TOLERANCE_SECONDS = 300;
/**
 * A PaymentIntent has no `amount_refunded`; its latest charge does. Expanding the charge on every call
 * that returns a PaymentIntent is how `Payment.amountRefunded` is known without a second request.
 */
const EXPAND = ["latest_charge"];

const STATUSES: readonly PaymentStatus[] = [
  "requires_payment_method",
  "requires_confirmation",
  "requires_action",
  "processing",
  "requires_capture",
  "succeeded",
  "canceled",
];
const REFUND_STATUSES: readonly Refund["status"][] = [
  "pending",
  "requires_action",
  "succeeded",
  "failed",
  "canceled",
];

export function createStripeProvider(options: StripeProviderOptions): PaymentProvider {
  const stripe = new Stripe(options.secretKey, {
    httpClient: Stripe.createFetchHttpClient(
      withoutSelfRetryCodes(options.fetch ?? ((input, init) => fetch(input, init))),
    ),
    maxNetworkRetries: 0,
    ...addressOf(options.apiBase),
  });
  const withRetries = retrying(options);
  const intents = stripe.paymentIntents;

  return {
    name: "stripe",

    create: (input, stats) =>
      withRetries(stats, () =>
        intents
          .create(createParams(input), { idempotencyKey: input.idempotencyKey })
          .then(paymentFromStripe, paymentFromDecline),
      ),

    retrieve: (id, stats) =>
      withRetries(stats, () => intents.retrieve(id, { expand: EXPAND }).then(paymentFromStripe)),

    confirm: (id, input, stats) =>
      withRetries(stats, () =>
        intents
          .confirm(
            id,
            { payment_method: input.paymentMethod, expand: EXPAND },
            { idempotencyKey: input.idempotencyKey },
          )
          .then(paymentFromStripe, settledAs("succeeded")),
      ),

    cancel: (id, input, stats) =>
      withRetries(stats, () =>
        intents
          .cancel(id, { expand: EXPAND }, { idempotencyKey: input.idempotencyKey })
          .then(paymentFromStripe, settledAs("canceled")),
      ),

    refund: (id, input, stats) =>
      withRetries(stats, () =>
        stripe.refunds
          .create(
            {
              payment_intent: id,
              amount: input.amount,
              reason: input.reason,
              metadata: input.metadata,
              ...connect.reversingRefundParams(input.reverseTransfer),
            },
            { idempotencyKey: input.idempotencyKey },
          )
          .then((refund) => refundFromStripe(refund, id, input.reverseTransfer === true)),
      ),

    // A payment has at most a handful of disputes (usually one); 100 is Stripe's page maximum.
    disputes: (id, stats) =>
      withRetries(stats, () =>
        stripe.disputes
          .list({ payment_intent: id, limit: 100 })
          .then((page) => page.data.map((dispute) => disputeFromStripe(dispute, id))),
      ),

    ...billingMethods(stripe, withRetries, { paymentFromStripe, paymentFromDecline, expand: EXPAND }),
    connect: connect.connectMethods(stripe, withRetries),
  };
}

function createParams(input: CreatePayment): Stripe.PaymentIntentCreateParams {
  const confirmNow = input.paymentMethod !== undefined;
  return {
    amount: input.amount,
    currency: input.currency.toLowerCase(),
    metadata: input.metadata,
    description: input.description,
    receipt_email: input.receiptEmail,
    // Cards only: with automatic payment methods a server-side confirm must name a return_url for the
    // redirect-based methods, even when the buyer pays by card. (This API version calls the list
    // `allowed_payment_method_types`; `payment_method_types` is no longer accepted on create.)
    allowed_payment_method_types: ["card"],
    ...connect.destinationParams(input.destination),
    ...(confirmNow
      ? { payment_method: input.paymentMethod, confirm: true, return_url: input.returnUrl }
      : {}),
    expand: EXPAND,
  };
}

/** `http://stripe.test:8787` → the SDK's host, port and protocol; nothing for Stripe's own API. */
function addressOf(apiBase: string | undefined): Pick<Stripe.StripeConfig, "host" | "port" | "protocol"> {
  if (apiBase === undefined) return {};
  const url = new URL(apiBase);
  const protocol = url.protocol === "http:" ? "http" : "https";
  return { host: url.hostname, port: url.port || (protocol === "http" ? 80 : 443), protocol };
}

/**
 * Even with `maxNetworkRetries: 0` the SDK retries a reset connection (ECONNRESET, EPIPE) once by
 * itself; that attempt would escape our count and backoff. Dropping the code leaves retries to us.
 */
function withoutSelfRetryCodes(fetchFn: typeof fetch): typeof fetch {
  return async (input, init) => {
    try {
      return await fetchFn(input, init);
    } catch (error) {
      const code = error instanceof Error && "code" in error ? error.code : undefined;
      if (code === "ECONNRESET" || code === "EPIPE") throw new TypeError(String(error), { cause: error });
      throw error;
    }
  };
}

// --- mapping -----------------------------------------------------------------------------------------

/** A decline answers 402 with the PaymentIntent, back in `requires_payment_method`: return it, don't throw. */
function paymentFromDecline(error: unknown): Payment {
  if (error instanceof Stripe.errors.StripeCardError && error.payment_intent) {
    return paymentFromStripe(error.payment_intent);
  }
  throw error;
}

/**
 * Stripe refuses to confirm a PaymentIntent that already succeeded, or cancel one already canceled
 * (`payment_intent_unexpected_state`). For us both are done: the error carries the PaymentIntent, so
 * return it, as the sandbox does. Its `latest_charge` is not expanded there, so `amountRefunded` reads 0.
 */
const settledAs =
  (status: PaymentStatus) =>
  (error: unknown): Payment => {
    const intent = error instanceof Stripe.errors.StripeError ? error.payment_intent : undefined;
    if (error instanceof Stripe.errors.StripeError && error.code === "payment_intent_unexpected_state") {
      if (intent?.status === status) return paymentFromStripe(intent);
    }
    return paymentFromDecline(error);
  };

/**
 * Maps a PaymentIntent, from an API answer or a webhook's `event.data.object`, onto `Payment`.
 * `amountRefunded` comes from an expanded `latest_charge` (the provider always expands it); a webhook's
 * PaymentIntent carries only the charge id, so there it reads 0.
 */
export function paymentFromStripe(pi: Stripe.PaymentIntent): Payment {
  const status = statusOf(pi.status);
  const charge = typeof pi.latest_charge === "object" ? pi.latest_charge : null;
  return {
    id: pi.id,
    status,
    amount: pi.amount,
    currency: pi.currency.toUpperCase(),
    clientSecret: status === "succeeded" || status === "canceled" ? null : pi.client_secret,
    nextAction: pi.next_action
      ? { type: pi.next_action.type, redirectUrl: pi.next_action.redirect_to_url?.url ?? null }
      : null,
    lastError: failureOf(pi.last_payment_error),
    metadata: { ...pi.metadata },
    latestCharge: typeof pi.latest_charge === "string" ? pi.latest_charge : (charge?.id ?? null),
    amountRefunded: charge ? charge.amount_refunded : 0,
    paymentMethod:
      typeof pi.payment_method === "string" ? pi.payment_method : (pi.payment_method?.id ?? null),
    subscription: subscriptionRefOf(pi.metadata),
    destination: connect.destinationOf(pi, charge),
  };
}

/** The subscription a first invoice's PaymentIntent names (set when the subscription was started). */
function subscriptionRefOf(metadata: Stripe.Metadata): Payment["subscription"] {
  const { subscription_id: id, period_start: start, period_end: end } = metadata;
  if (id === undefined || start === undefined || end === undefined) return null;
  const [periodStart, periodEnd] = [Number(start), Number(end)];
  return Number.isFinite(periodStart) && Number.isFinite(periodEnd) ? { id, periodStart, periodEnd } : null;
}

/** A status Stripe adds later is treated as `processing`: not final, so checkout waits for a webhook. */
function statusOf(status: string): PaymentStatus {
  return STATUSES.find((known) => known === status) ?? "processing";
}

function failureOf(error: Stripe.PaymentIntent.LastPaymentError | null): PaymentFailure | null {
  if (error === null) return null;
  return {
    code: error.code ?? error.type,
    declineCode: error.decline_code ?? null,
    message: error.message ?? "",
  };
}

function refundFromStripe(refund: Stripe.Refund, paymentId: string, reversing: boolean): Refund {
  const pi = refund.payment_intent;
  return {
    id: refund.id,
    paymentId: typeof pi === "string" ? pi : (pi?.id ?? paymentId),
    amount: refund.amount,
    // A refund without a status yet is pending; so is one in a state this code does not know.
    status: REFUND_STATUSES.find((known) => known === refund.status) ?? "pending",
    ...(reversing ? connect.reversalOf(refund) : {}),
  };
}

function disputeFromStripe(dispute: Stripe.Dispute, paymentId: string): Dispute {
  const pi = dispute.payment_intent;
  return {
    id: dispute.id,
    paymentId: typeof pi === "string" ? pi : (pi?.id ?? paymentId),
    amount: dispute.amount,
    currency: dispute.currency.toUpperCase(),
    status: dispute.status,
    reason: dispute.reason,
    created: dispute.created * 1000,
  };
}

// --- webhooks ----------------------------------------------------------------------------------------

let subtleCrypto: Stripe.CryptoProvider | undefined;

/**
 * Verifies a webhook delivery and returns its event. Throws Stripe's `StripeSignatureVerificationError`
 * when the header is missing or malformed, the signature does not match the raw body and secret, or the
 * signature is older than 300 s (`now`, in epoch ms, stands in for the clock). Pass the body exactly as
 * received: re-serialised JSON does not verify.
 */
export async function stripeEventFrom(
  rawBody: string,
  signatureHeader: string | undefined,
  webhookSecret: string,
  options: { now?: number } = {},
): Promise<Stripe.Event> {
  subtleCrypto ??= Stripe.createSubtleCryptoProvider();
  return Stripe.webhooks.constructEventAsync(
    rawBody,
    // The SDK reports a missing header as a verification error, like any other bad signature.
    signatureHeader ?? "",
    webhookSecret,
    WEBHOOK_TOLERANCE_SECONDS,
    subtleCrypto,
    options.now,
  );
}
