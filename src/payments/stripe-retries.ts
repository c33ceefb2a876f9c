/**
 * The Stripe provider's retry loop: every attempt counted for checkout's reporting, retried only when
 * Stripe marks it safe (a failed connection, 409, 429, 5xx, or `Stripe-Should-Retry`), with jittered
 * exponential backoff and the caller's idempotency key, and every final failure mapped to ProviderError.
 */
import Stripe from "stripe";
import { type CallStats, newCallStats, ProviderError } from "./provider";
import type { StripeProviderOptions } from "./stripe";

const DEFAULT_MAX_RETRIES = 3;
const BACKOFF_BASE_MS = 250;
const BACKOFF_CAP_MS = 4_000;

export function retrying(options: StripeProviderOptions) {
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;

  return async <T>(stats: CallStats | undefined, attempt: () => Promise<T>): Promise<T> => {
    const counted = stats ?? newCallStats();
    const started = Date.now();
    try {
      for (let retry = 0; ; retry++) {
        counted.attempts += 1;
        try {
          return await attempt();
        } catch (error) {
          const retryable = isRetryable(error);
          if (!retryable || retry >= maxRetries) throw providerErrorFrom(error, retryable, retry + 1);
          counted.retries += 1;
          await sleep(backoffMs(retry, random));
        }
      }
    } finally {
      counted.latencyMs += Date.now() - started;
    }
  };
}

/**
 * Exponential backoff with equal jitter: half the step is fixed and half random, so clients that failed
 * together spread out, yet none retries at once. Steps: 250 ms, 500 ms, 1 s, 2 s, capped at 4 s.
 */
export function backoffMs(retry: number, random: () => number = Math.random): number {
  const step = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** retry);
  return step / 2 + random() * (step / 2);
}

/** What Stripe marks as safe to retry with the same idempotency key (its SDK's rules, plus 429). */
function isRetryable(error: unknown): boolean {
  if (error instanceof Stripe.errors.StripeConnectionError) return true;
  if (!(error instanceof Stripe.errors.StripeError)) return false;
  // A decline is final for this attempt whatever the headers say; the buyer must change something.
  if (error instanceof Stripe.errors.StripeCardError) return false;
  const advice = error.headers?.["stripe-should-retry"];
  if (advice === "false") return false;
  if (advice === "true") return true;
  const status = error.statusCode ?? 0;
  return status === 409 || status === 429 || status >= 500;
}

function providerErrorFrom(error: unknown, retryable: boolean, attempts: number): unknown {
  // Anything not from Stripe is a bug on our side; let it surface as is.
  if (!(error instanceof Stripe.errors.StripeError)) return error;
  const code = error.code ?? error.rawType ?? null;
  const status = error.statusCode;
  const tried = `after ${attempts} attempt${attempts === 1 ? "" : "s"}`;
  if (error instanceof Stripe.errors.StripeConnectionError) {
    return new ProviderError("unavailable", `Stripe could not be reached ${tried}.`, true, null);
  }
  if (status === 429) {
    return new ProviderError("rate_limited", `Stripe rate limited the request ${tried}.`, true, code);
  }
  if (status === 401 || status === 403)
    return new ProviderError("authentication", error.message, false, code);
  if (status === 404) return new ProviderError("not_found", error.message, false, code);
  if (status === undefined || status === 409 || status >= 500) {
    // Not retryable here means Stripe said so (`Stripe-Should-Retry: false`): the same key replays it.
    return new ProviderError("unavailable", `Stripe failed ${tried}: ${error.message}`, retryable, code);
  }
  return new ProviderError("invalid_request", error.message, false, code);
}
