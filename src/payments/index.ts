/**
 * The provider a request uses: Stripe when its secret key is configured, else the sandbox. The sandbox
 * hands its events to `emit`, which checkout routes into the same inbox as Stripe's webhooks.
 */
import type { Config } from "../config";
import type { Db } from "../db/client";
import type { PaymentProvider, ProviderEvent } from "./provider";
import { createSandboxProvider } from "./sandbox";

export function paymentProvider(
  config: Config,
  db: Db,
  options: { now: () => number; emit: (event: ProviderEvent) => void },
): PaymentProvider {
  if (config.STRIPE_SECRET_KEY !== undefined) {
    throw new Error("The Stripe provider is not wired in yet; unset STRIPE_SECRET_KEY to use the sandbox.");
  }
  return createSandboxProvider(db, options);
}
