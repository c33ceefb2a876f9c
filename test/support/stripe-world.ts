import { env } from "cloudflare:workers";
import { buildApp } from "../../src/app";
import { createStripeProvider } from "../../src/payments/stripe";
import type { Json } from "./api";
import { createStripeFake, type FakeEvent } from "./stripe-fake";

export const WEBHOOK_SECRET = "whsec_checkouttestsecret";

/**
 * The real app with Stripe configured, its provider's fetch injected with the local Stripe-compatible
 * fake (Stripe Billing included). Work a route defers (webhook handling) is awaited before the call returns.
 */
export function stripeWorld() {
  // Stripe's clock, which a test may move a few seconds on (within the webhook tolerance), so that what
  // Stripe does next is stamped after what it did before, as it would be in time.
  let stripeSkewMs = 0;
  const fake = createStripeFake({ now: () => Date.now() + stripeSkewMs });
  const provider = createStripeProvider({
    secretKey: "sk_test_checkout",
    apiBase: fake.apiBase,
    fetch: fake.fetch,
    sleep: async () => {},
  });
  const app = buildApp({ payments: () => provider });
  const bindings = { ...env, STRIPE_SECRET_KEY: "sk_test_checkout", STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET };
  const deferred: Promise<unknown>[] = [];
  const executionContext = () =>
    ({
      waitUntil: (p: Promise<unknown>) => void deferred.push(p),
      passThroughOnException() {},
      props: {},
    }) as unknown as ExecutionContext;
  const call = async (method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
    const res = await app.fetch(
      new Request(`http://api.test${path}`, {
        method,
        headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
        body,
      }),
      bindings,
      executionContext(),
    );
    await Promise.all(deferred.splice(0));
    return { status: res.status, body: (await res.json()) as Json };
  };
  const checkout = (buyerId: string, body: Record<string, unknown>, key: string = crypto.randomUUID()) =>
    call("POST", "/v1/checkouts", JSON.stringify(body), { "buyer-id": buyerId, "idempotency-key": key });
  const deliver = async (
    event: FakeEvent,
    options: { secret?: string; timestamp?: number; tamper?: boolean } = {},
  ) => {
    const delivery = await fake.signedDelivery(event, options.secret ?? WEBHOOK_SECRET, options);
    // One byte changed: the last character of the event id.
    const tampered = `${event.id.slice(0, -1)}${event.id.endsWith("a") ? "b" : "a"}`;
    const body = options.tamper ? delivery.body.replace(event.id, tampered) : delivery.body;
    if (options.tamper && body === delivery.body) throw new Error("tampering changed nothing");
    return call("POST", "/v1/webhooks/stripe", body, delivery.headers);
  };
  /** Delivers every event the fake recorded about `paymentId` since `from`, oldest first. */
  const deliverAll = async (paymentId: string, from = 0) => {
    for (const event of fake.events.slice(from)) {
      const object = (event as { data: { object: { id?: string; payment_intent?: string } } }).data.object;
      if (object.id === paymentId || object.payment_intent === paymentId) await deliver(event);
    }
  };
  /** Stripe's clock moves `seconds` on (at most a few minutes: signatures must stay fresh). */
  const tick = (seconds = 1) => {
    stripeSkewMs += seconds * 1000;
  };
  return { fake, provider, app, bindings, executionContext, call, checkout, deliver, deliverAll, tick };
}
