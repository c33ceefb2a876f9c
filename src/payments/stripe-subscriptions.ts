/**
 * Stripe Billing through the official SDK, for the Stripe provider (stripe.ts): starting a membership's
 * subscription at checkout, reading one back, finding the invoice a payment paid, and the changes a
 * member or creator makes (cancel at period end or undo it, the card renewals use, cancel now), each keyed
 * so a retry changes nothing twice.
 */
import Stripe from "stripe";
import { billingInvoiceOf, billingSubscriptionOf } from "../subscriptions/stripe-billing";
import type {
  BillingSubscription,
  CallStats,
  CreateSubscription,
  Payment,
  PaymentProvider,
} from "./provider";
import { subscriptionDestinationParams } from "./stripe-connect";
import type { retrying } from "./stripe-retries";

type Retrying = ReturnType<typeof retrying>;

/** How stripe.ts maps PaymentIntents, passed in so this module does not import it back. */
export interface Mapping {
  paymentFromStripe: (pi: Stripe.PaymentIntent) => Payment;
  paymentFromDecline: (error: unknown) => Payment;
  expand: string[];
}

export function billingMethods(
  stripe: Stripe,
  withRetries: Retrying,
  mapping: Mapping,
): Required<
  Pick<
    PaymentProvider,
    | "createSubscription"
    | "retrieveSubscription"
    | "invoiceOfPayment"
    | "paymentOfInvoice"
    | "updateSubscription"
    | "cancelSubscription"
  >
> {
  return {
    createSubscription: (input, stats) => startSubscription(stripe, withRetries, mapping, input, stats),

    retrieveSubscription: (id, stats) =>
      withRetries(stats, () => stripe.subscriptions.retrieve(id).then(billingSubscriptionOf)),

    // An invoice has at most a few payments; the newest is first.
    invoiceOfPayment: (id, stats) =>
      withRetries(stats, () =>
        stripe.invoicePayments
          .list({
            payment: { type: "payment_intent", payment_intent: id },
            limit: 1,
            expand: ["data.invoice"],
          })
          .then(({ data: [first] }) =>
            first !== undefined && typeof first.invoice === "object" && !first.invoice.deleted
              ? billingInvoiceOf(first.invoice)
              : null,
          ),
      ),

    paymentOfInvoice: (id, stats) =>
      withRetries(stats, () =>
        stripe.invoicePayments.list({ invoice: id, limit: 1 }).then(({ data: [first] }) => {
          const pi = first?.payment.payment_intent;
          return pi === undefined || pi === null ? null : typeof pi === "string" ? pi : pi.id;
        }),
      ),

    updateSubscription: (id, input, stats) =>
      withRetries(stats, () =>
        stripe.subscriptions
          .update(
            id,
            {
              ...(input.cancelAtPeriodEnd === undefined
                ? {}
                : { cancel_at_period_end: input.cancelAtPeriodEnd }),
              ...(input.paymentMethod === undefined ? {} : { default_payment_method: input.paymentMethod }),
            },
            { idempotencyKey: input.idempotencyKey },
          )
          .then(billingSubscriptionOf),
      ),

    // Cancelling one already canceled is refused by Stripe: for us it is done, so read it back.
    cancelSubscription: (id, input, stats) =>
      withRetries(stats, () =>
        stripe.subscriptions
          .cancel(id, {}, { idempotencyKey: input.idempotencyKey })
          .then(billingSubscriptionOf, async (error: unknown): Promise<BillingSubscription> => {
            if (error instanceof Stripe.errors.StripeInvalidRequestError) {
              const current = billingSubscriptionOf(await stripe.subscriptions.retrieve(id));
              if (current.status === "canceled") return current;
            }
            throw error;
          }),
      ),
  };
}

/**
 * A membership's checkout as a Stripe subscription: the customer (by the checkout's email), the offer's
 * product, and the subscription with `default_incomplete`, so its first invoice waits for the buyer like
 * any checkout payment. That invoice's PaymentIntent then carries the checkout's metadata (settlement
 * matches it to the order, as every PaymentIntent of ours) and the subscription's id and first period
 * (the paid batch starts our row with them), and is confirmed with the buyer's method if one was given.
 * Every create is keyed from the checkout's key, so a retried checkout makes none twice.
 */
async function startSubscription(
  stripe: Stripe,
  withRetries: Retrying,
  mapping: Mapping,
  input: CreateSubscription,
  stats: CallStats | undefined,
): Promise<Payment> {
  const key = input.idempotencyKey;
  // Independent, so side by side. The product's id is the offer's: creating it again is refused as
  // existing, which means it is there.
  const [customer] = await Promise.all([
    withRetries(stats, () =>
      stripe.customers.create(
        { email: input.email, metadata: { creator_id: input.metadata.creator_id ?? "" } },
        { idempotencyKey: `${key}:customer` },
      ),
    ),
    withRetries(stats, () =>
      stripe.products.create({ id: input.product.id, name: input.product.name }).catch((error: unknown) => {
        if (error instanceof Stripe.errors.StripeError && error.code === "resource_already_exists") return;
        throw error;
      }),
    ),
  ]);
  const subscription = await withRetries(stats, () =>
    stripe.subscriptions.create(
      {
        customer: customer.id,
        items: [
          {
            price_data: {
              currency: input.currency.toLowerCase(),
              unit_amount: input.amount,
              recurring: { interval: input.interval.unit, interval_count: input.interval.count },
              product: input.product.id,
            },
          },
        ],
        payment_behavior: "default_incomplete",
        // The card that pays the first invoice is what Stripe charges the renewals with.
        payment_settings: { save_default_payment_method: "on_subscription", payment_method_types: ["card"] },
        metadata: pick(input.metadata, ["creator_id", "order_id", "offer_id"]),
        // A creator's connected account: each invoice's payment is a destination charge to it.
        ...subscriptionDestinationParams(input.destination, input.amount),
        expand: ["latest_invoice.payments"],
      },
      { idempotencyKey: `${key}:subscription` },
    ),
  );
  const invoice = typeof subscription.latest_invoice === "object" ? subscription.latest_invoice : null;
  const piRef = invoice?.payments?.data[0]?.payment.payment_intent;
  const piId = typeof piRef === "string" ? piRef : piRef?.id;
  if (piId === undefined) throw new Error(`subscription ${subscription.id} has no first payment`);
  const billed = billingSubscriptionOf(subscription);
  const metadata = {
    ...input.metadata,
    subscription_id: subscription.id,
    period_start: String(billed.periodStart),
    period_end: String(billed.periodEnd),
  };
  const updated = await withRetries(stats, () =>
    stripe.paymentIntents.update(
      piId,
      { metadata, expand: mapping.expand },
      { idempotencyKey: `${key}:metadata` },
    ),
  );
  if (input.paymentMethod === undefined) return mapping.paymentFromStripe(updated);
  return withRetries(stats, () =>
    stripe.paymentIntents
      .confirm(
        piId,
        { payment_method: input.paymentMethod, return_url: input.returnUrl, expand: mapping.expand },
        { idempotencyKey: `${key}:confirm` },
      )
      .then(mapping.paymentFromStripe, mapping.paymentFromDecline),
  );
}

const pick = (record: Record<string, string>, keys: string[]) =>
  Object.fromEntries(keys.flatMap((k) => (record[k] === undefined ? [] : [[k, record[k]]])));
