/**
 * The fetch every delivery goes through: the runtime's own, unless a test (or a benchmark) puts a fake
 * receiver in its place, the way the payment provider takes a Stripe-compatible fake's fetch.
 */
export type WebhookFetch = (url: string, init: RequestInit) => Promise<Response>;

const runtimeFetch: WebhookFetch = (url, init) => fetch(url, init);
let current: WebhookFetch = runtimeFetch;

export const webhookFetch: WebhookFetch = (url, init) => current(url, init);

/** Replaces the transport for this isolate; `undefined` puts the runtime's fetch back. */
export function useWebhookTransport(fetchFn: WebhookFetch | undefined): void {
  current = fetchFn ?? runtimeFetch;
}
