/**
 * The provider a request uses: Stripe when its secret key is configured, else, in development and test
 * only, the sandbox; production never falls back to it (its test cards would grant real access). The sandbox
 * hands its events to `emit`, which checkout routes into the same inbox as Stripe's webhooks. Tests
 * give the app their own factory (a Stripe provider whose fetch is a local Stripe-compatible fake).
 */
import { allowsLocalStandIns, type Config, misconfigured } from "../config";
import type { Db } from "../db/client";
import type { PaymentProvider, ProviderEvent } from "./provider";
import { createSandboxProvider } from "./sandbox";
import { createStripeProvider } from "./stripe";

export type PaymentsFactory = (
  config: Config,
  db: Db,
  options: { now: () => number; emit: (event: ProviderEvent) => void },
) => PaymentProvider;

// The SDK client is built once per isolate per configuration, not per request.
const stripeByConfig = new WeakMap<Config, PaymentProvider>();

export const paymentProvider: PaymentsFactory = (config, db, options) => {
  const secretKey = config.STRIPE_SECRET_KEY;
  if (secretKey === undefined) {
    // readConfig already refuses this in production; a config built any other way must not slip through.
    if (!allowsLocalStandIns(config)) {
      throw misconfigured("STRIPE_SECRET_KEY (missing; the sandbox runs only in development and test)");
    }
    return createSandboxProvider(db, options);
  }
  let stripe = stripeByConfig.get(config);
  if (stripe === undefined) {
    stripe = createStripeProvider({
      secretKey,
      ...(config.STRIPE_API_BASE ? { apiBase: config.STRIPE_API_BASE } : {}),
    });
    stripeByConfig.set(config, stripe);
  }
  return stripe;
};

/**
 * The provider renewals are charged through. The renewal engine lands each charge's outcome itself, so
 * the sandbox's events are not needed, except a dispute opened at once (Stripe's 0259 card): those
 * payments are kept in `disputed`.
 */
export function subscriptionProvider(
  config: Config,
  db: Db,
  factory: PaymentsFactory = paymentProvider,
  now: () => number = Date.now,
) {
  const disputed = new Set<string>();
  const provider = factory(config, db, {
    now,
    emit: (e) => {
      if (e.type === "charge.dispute.created") disputed.add(e.payment.id);
    },
  });
  return { provider, disputed };
}
