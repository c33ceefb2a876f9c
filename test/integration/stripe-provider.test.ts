import { describe, expect, it } from "vitest";
import { type CallStats, type CreatePayment, newCallStats, ProviderError } from "../../src/payments/provider";
import {
  backoffMs,
  createStripeProvider,
  paymentFromStripe,
  type StripeProviderOptions,
  stripeEventFrom,
} from "../../src/payments/stripe";
import { createStripeFake } from "../support/stripe-fake";

const CREATE = "POST /v1/payment_intents";
const WEBHOOK_SECRET = "whsec_test_secret";

/** The provider on the real SDK, talking to the fake; backoff waits are recorded instead of slept. */
function setup(overrides: Partial<StripeProviderOptions> = {}) {
  const fake = createStripeFake();
  const sleeps: number[] = [];
  const provider = createStripeProvider({
    secretKey: "sk_test_fake",
    apiBase: fake.apiBase,
    fetch: fake.fetch,
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 0.5,
    ...overrides,
  });
  return { fake, provider, sleeps, stats: newCallStats() };
}

const payment = (paymentMethod?: string, overrides: Partial<CreatePayment> = {}): CreatePayment => ({
  amount: 2000,
  currency: "USD",
  metadata: { order_id: "ord_1", checkout_id: "chk_1" },
  idempotencyKey: `key-${crypto.randomUUID()}`,
  ...(paymentMethod === undefined ? {} : { paymentMethod }),
  ...overrides,
});

/** The ProviderError a call rejects with; fails the test when it resolves or throws anything else. */
async function providerError(call: Promise<unknown>): Promise<ProviderError> {
  const error = await call.then(
    () => new Error("expected the call to fail"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  if (!(error instanceof ProviderError)) throw error;
  return error;
}

const statsOf = (stats: CallStats) => ({ attempts: stats.attempts, retries: stats.retries });

describe("the Stripe provider against the Stripe fake", () => {
  it("creates and confirms a card payment, sending Stripe's parameters and mapping the answer", async () => {
    const { fake, provider, stats } = setup();
    const input = payment("pm_card_visa", {
      currency: "EUR",
      description: "Order 1",
      receiptEmail: "a@b.test",
    });
    const paid = await provider.create(input, stats);

    expect(paid).toMatchObject({
      status: "succeeded",
      amount: 2000,
      currency: "EUR",
      clientSecret: null,
      nextAction: null,
      lastError: null,
      metadata: { order_id: "ord_1", checkout_id: "chk_1" },
      amountRefunded: 0,
    });
    expect(paid.id).toMatch(/^pi_/);
    expect(paid.latestCharge).toMatch(/^ch_/);
    expect(statsOf(stats)).toEqual({ attempts: 1, retries: 0 });
    expect(fake.requests[0]).toMatchObject({
      route: CREATE,
      idempotencyKey: input.idempotencyKey,
      params: {
        amount: "2000",
        currency: "eur",
        confirm: "true",
        payment_method: "pm_card_visa",
        description: "Order 1",
        receipt_email: "a@b.test",
        metadata: { order_id: "ord_1", checkout_id: "chk_1" },
        allowed_payment_method_types: { 0: "card" },
        expand: { 0: "latest_charge" },
      },
    });
    expect(fake.paymentIntents()).toMatchObject([{ id: paid.id, currency: "eur", status: "succeeded" }]);
    expect(fake.events.map((e) => e.type)).toEqual(["payment_intent.succeeded"]);
  });

  it.each(["GBP", "gbp", "Gbp"])(
    "sends currency %s lower-case and maps it back upper-case",
    async (currency) => {
      const { fake, provider } = setup();
      const created = await provider.create(payment(undefined, { currency }));
      expect(fake.requests[0]?.params.currency).toBe("gbp");
      expect(created.currency).toBe("GBP");
      expect((await provider.retrieve(created.id)).currency).toBe("GBP");
    },
  );

  it("leaves a payment without a method waiting for one, with a client secret for Stripe.js", async () => {
    const { fake, provider } = setup();
    const created = await provider.create(payment());
    expect(created).toMatchObject({ status: "requires_payment_method", latestCharge: null, lastError: null });
    expect(created.clientSecret).toMatch(new RegExp(`^${created.id}_secret_`));
    expect(fake.requests[0]?.params).not.toHaveProperty("confirm");
    expect(fake.events).toEqual([]);
  });

  it.each([
    ["pm_card_visa_chargeDeclined", "generic_decline", "Your card was declined."],
    ["pm_card_chargeDeclined", "generic_decline", "Your card was declined."],
    ["pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds", "Your card has insufficient funds."],
  ])(
    "returns the decline of %s (%s) rather than throwing, and never retries it",
    async (method, code, message) => {
      const { fake, provider, stats, sleeps } = setup();
      const declined = await provider.create(payment(method), stats);
      expect(declined).toMatchObject({
        status: "requires_payment_method",
        lastError: { code: "card_declined", declineCode: code, message },
      });
      expect(declined.clientSecret).toMatch(/_secret_/);
      // Stripe links the failed charge to the PaymentIntent.
      expect(declined.latestCharge).toMatch(/^ch_/);
      expect(fake.charges()).toMatchObject([{ id: declined.latestCharge, status: "failed", paid: false }]);
      expect(statsOf(stats)).toEqual({ attempts: 1, retries: 0 });
      expect(fake.count(CREATE)).toBe(1);
      expect(sleeps).toEqual([]);
      expect(fake.events.map((e) => e.type)).toEqual(["payment_intent.payment_failed"]);
    },
  );

  it("asks for 3-D Secure with a redirect, then succeeds once the buyer authenticates", async () => {
    const { fake, provider } = setup();
    const returnUrl = "https://shop.test/checkout/return";
    const pending = await provider.create(payment("pm_card_authenticationRequired", { returnUrl }));
    expect(pending).toMatchObject({ status: "requires_action", latestCharge: null });
    expect(pending.nextAction?.type).toBe("redirect_to_url");
    expect(pending.nextAction?.redirectUrl).toMatch(/^https:\/\/hooks\.stripe\.com\//);
    expect(pending.clientSecret).toMatch(/_secret_/);
    expect(fake.paymentIntents()[0]?.next_action?.redirect_to_url?.return_url).toBe(returnUrl);

    fake.authenticate(pending.id);
    const paid = await provider.retrieve(pending.id);
    expect(paid).toMatchObject({ id: pending.id, status: "succeeded", nextAction: null, clientSecret: null });
    expect(paid.latestCharge).toMatch(/^ch_/);
    // Confirming what already succeeded is refused by Stripe; the provider answers with the payment.
    const confirmed = await provider.confirm(pending.id, { idempotencyKey: `confirm-${pending.id}` });
    expect(confirmed).toMatchObject({ id: pending.id, status: "succeeded", latestCharge: paid.latestCharge });
    expect(fake.events.map((e) => e.type)).toEqual([
      "payment_intent.requires_action",
      "payment_intent.succeeded",
    ]);
  });

  it("without a return URL, leaves the 3-D Secure step to Stripe.js (no redirect URL)", async () => {
    const { provider } = setup();
    const pending = await provider.create(payment("pm_card_authenticationRequired"));
    expect(pending).toMatchObject({
      status: "requires_action",
      nextAction: { type: "use_stripe_sdk", redirectUrl: null },
    });
  });

  it("confirms a waiting payment later with a method and its own idempotency key", async () => {
    const { fake, provider } = setup();
    const created = await provider.create(payment());
    const key = `confirm-${created.id}`;
    const paid = await provider.confirm(created.id, { paymentMethod: "pm_card_visa", idempotencyKey: key });
    expect(paid).toMatchObject({ id: created.id, status: "succeeded" });
    expect(fake.requests.at(-1)).toMatchObject({
      route: "POST /v1/payment_intents/:id/confirm",
      idempotencyKey: key,
      params: { payment_method: "pm_card_visa" },
    });
  });
});

describe("retries", () => {
  it("retries a connection that failed before reaching Stripe, with the same key", async () => {
    const { fake, provider, stats, sleeps } = setup();
    fake.failNext({ kind: "network_before" });
    const input = payment("pm_card_visa");
    const paid = await provider.create(input, stats);
    expect(paid.status).toBe("succeeded");
    expect(statsOf(stats)).toEqual({ attempts: 2, retries: 1 });
    expect(sleeps).toEqual([backoffMs(0, () => 0.5)]);
    expect(fake.requests.map((r) => [r.idempotencyKey, r.delivered])).toEqual([
      [input.idempotencyKey, false],
      [input.idempotencyKey, true],
    ]);
    expect(fake.paymentIntents()).toHaveLength(1);
  });

  it("retries a connection that dropped after Stripe processed it: the key replays, one payment exists", async () => {
    const { fake, provider, stats } = setup();
    fake.failNext({ kind: "network_after" });
    const input = payment("pm_card_visa");
    const paid = await provider.create(input, stats);
    expect(paid.status).toBe("succeeded");
    expect(statsOf(stats)).toEqual({ attempts: 2, retries: 1 });
    expect(
      fake.requests.map((r) => ({ key: r.idempotencyKey, status: r.status, replayed: r.replayed })),
    ).toEqual([
      { key: input.idempotencyKey, status: 200, replayed: false },
      { key: input.idempotencyKey, status: 200, replayed: true },
    ]);
    expect(fake.paymentIntents().map((pi) => pi.id)).toEqual([paid.id]);
    expect(fake.charges()).toHaveLength(1);
    expect(fake.events.map((e) => e.type)).toEqual(["payment_intent.succeeded"]);
  });

  it("backs off and retries a 429, which the SDK would not retry by itself", async () => {
    const { fake, provider, stats, sleeps } = setup();
    fake.failNext({ kind: "rate_limit" });
    const paid = await provider.create(payment("pm_card_visa"), stats);
    expect(paid.status).toBe("succeeded");
    expect(statsOf(stats)).toEqual({ attempts: 2, retries: 1 });
    expect(sleeps).toEqual([187.5]);
    expect(fake.requests.map((r) => r.status)).toEqual([429, 200]);
  });

  it("retries a 500 by default and when Stripe-Should-Retry says true", async () => {
    const { fake, provider, stats } = setup();
    fake.failNext({ kind: "server_error" });
    fake.failNext({ kind: "server_error", shouldRetry: true });
    const paid = await provider.create(payment("pm_card_visa"), stats);
    expect(paid.status).toBe("succeeded");
    expect(statsOf(stats)).toEqual({ attempts: 3, retries: 2 });
  });

  it("does not retry a 500 when Stripe-Should-Retry says false", async () => {
    const { fake, provider, stats, sleeps } = setup();
    fake.failNext({ kind: "server_error", shouldRetry: false });
    const error = await providerError(provider.create(payment("pm_card_visa"), stats));
    expect(error).toMatchObject({ kind: "unavailable", retryable: false, code: "api_error" });
    expect(statsOf(stats)).toEqual({ attempts: 1, retries: 0 });
    expect(fake.count(CREATE)).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it.each([
    ["network_before", "unavailable"],
    ["rate_limit", "rate_limited"],
  ] as const)("gives up after 4 attempts of %s with a retryable %s error", async (kind, expected) => {
    const { fake, provider, stats, sleeps } = setup();
    fake.failNext({ kind }, 4);
    const error = await providerError(provider.create(payment("pm_card_visa"), stats));
    expect(error).toMatchObject({ kind: expected, retryable: true });
    expect(statsOf(stats)).toEqual({ attempts: 4, retries: 3 });
    expect(stats.latencyMs).toBeGreaterThanOrEqual(0);
    expect(sleeps).toEqual([187.5, 375, 750]);
    expect(fake.paymentIntents()).toEqual([]);
  });

  it("counts a reset connection as one attempt of ours, not retried inside the SDK", async () => {
    const fake = createStripeFake();
    let calls = 0;
    const resetOnce: typeof fetch = async (input, init) => {
      calls += 1;
      // Node's code for a reset socket: the SDK would retry it by itself, outside our count.
      if (calls === 1) throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
      return fake.fetch(input, init);
    };
    const { provider, stats } = setup({ apiBase: fake.apiBase, fetch: resetOnce });
    const paid = await provider.create(payment("pm_card_visa"), stats);
    expect(paid.status).toBe("succeeded");
    expect(statsOf(stats)).toEqual({ attempts: 2, retries: 1 });
    expect(calls).toBe(2);
  });

  it("honours maxRetries", async () => {
    const { fake, provider, stats } = setup({ maxRetries: 1 });
    fake.failNext({ kind: "server_error" }, 2);
    await providerError(provider.create(payment("pm_card_visa"), stats));
    expect(statsOf(stats)).toEqual({ attempts: 2, retries: 1 });
  });

  it("spreads backoff with jitter and caps it at 4 s", () => {
    expect([0, 1, 2, 3, 4, 8].map((retry) => backoffMs(retry, () => 0))).toEqual([
      125, 250, 500, 1000, 2000, 2000,
    ]);
    expect([0, 4, 8].map((retry) => backoffMs(retry, () => 0.999))).toEqual([249.875, 3998, 3998]);
  });
});

describe("idempotency", () => {
  it("replays the same PaymentIntent for the same key and parameters", async () => {
    const { fake, provider } = setup();
    const input = payment("pm_card_visa");
    const first = await provider.create(input);
    const again = await provider.create(input);
    expect(again).toEqual(first);
    expect(fake.paymentIntents()).toHaveLength(1);
    expect(fake.requests.map((r) => r.replayed)).toEqual([false, true]);
  });

  it("replays a stored decline too", async () => {
    const { fake, provider } = setup();
    const input = payment("pm_card_chargeDeclined");
    const first = await provider.create(input);
    const again = await provider.create(input);
    expect(again).toEqual(first);
    expect(again.lastError?.declineCode).toBe("generic_decline");
    expect(fake.charges()).toHaveLength(1);
  });

  it("refuses the same key with different parameters as an invalid request, without retrying", async () => {
    const { fake, provider, stats } = setup();
    const input = payment("pm_card_visa");
    await provider.create(input);
    const error = await providerError(provider.create({ ...input, amount: 2500 }, stats));
    expect(error).toMatchObject({ kind: "invalid_request", retryable: false, code: "idempotency_error" });
    expect(statsOf(stats)).toEqual({ attempts: 1, retries: 0 });
    expect(fake.paymentIntents()).toHaveLength(1);
  });
});

describe("cancel, refund and errors", () => {
  it("cancels a waiting payment, and treats cancelling it again as done", async () => {
    const { fake, provider } = setup();
    const created = await provider.create(payment());
    const canceled = await provider.cancel(created.id, { idempotencyKey: `cancel-${created.id}` });
    expect(canceled).toMatchObject({ id: created.id, status: "canceled", clientSecret: null });
    const again = await provider.cancel(created.id, { idempotencyKey: `cancel-again-${created.id}` });
    expect(again).toMatchObject({ id: created.id, status: "canceled" });
    expect(fake.requests.at(-1)).toMatchObject({ route: "POST /v1/payment_intents/:id/cancel", status: 400 });
    expect(fake.events.map((e) => e.type)).toEqual(["payment_intent.canceled"]);
  });

  it("refuses to cancel a succeeded payment", async () => {
    const { provider } = setup();
    const paid = await provider.create(payment("pm_card_visa"));
    const error = await providerError(provider.cancel(paid.id, { idempotencyKey: `cancel-${paid.id}` }));
    expect(error).toMatchObject({ kind: "invalid_request", code: "payment_intent_unexpected_state" });
  });

  it("refunds part, then the rest, and reads the refunded amount from the expanded charge", async () => {
    const { fake, provider } = setup();
    const paid = await provider.create(payment("pm_card_visa"));
    const part = await provider.refund(paid.id, {
      amount: 500,
      reason: "requested_by_customer",
      metadata: { order_id: "ord_1" },
      idempotencyKey: `refund-1-${paid.id}`,
    });
    expect(part).toMatchObject({ paymentId: paid.id, amount: 500, status: "succeeded" });
    expect(part.id).toMatch(/^re_/);
    expect(fake.requests.at(-1)?.params).toMatchObject({
      payment_intent: paid.id,
      amount: "500",
      reason: "requested_by_customer",
      metadata: { order_id: "ord_1" },
    });
    expect((await provider.retrieve(paid.id)).amountRefunded).toBe(500);

    const rest = await provider.refund(paid.id, { idempotencyKey: `refund-2-${paid.id}` });
    expect(rest.amount).toBe(1500);
    expect((await provider.retrieve(paid.id)).amountRefunded).toBe(2000);
    const error = await providerError(provider.refund(paid.id, { idempotencyKey: `refund-3-${paid.id}` }));
    expect(error).toMatchObject({ kind: "invalid_request", code: "charge_already_refunded" });
    const refunded = fake.events.filter((e) => e.type === "charge.refunded").map((e) => e.data.object);
    expect(refunded).toMatchObject([
      { amount_refunded: 500, refunded: false },
      { amount_refunded: 2000, refunded: true },
    ]);
  });

  it("lists a payment's disputes as Stripe reports them, newest first, and refuses to refund a charged-back one", async () => {
    const { fake, provider } = setup();
    const paid = await provider.create(payment("pm_card_createDispute"));
    expect(paid.status).toBe("succeeded");
    const [disputed] = await provider.disputes(paid.id);
    expect(disputed).toMatchObject({
      paymentId: paid.id,
      amount: 2000,
      currency: "USD",
      status: "needs_response",
      reason: "fraudulent",
    });
    expect(disputed?.id).toMatch(/^dp_/);
    expect(disputed?.created).toBeGreaterThan(Date.now() - 60_000);
    expect(fake.requests.at(-1)).toMatchObject({
      route: "GET /v1/disputes",
      params: { payment_intent: paid.id },
    });
    expect(fake.events.map((e) => e.type)).toContain("charge.dispute.created");
    const error = await providerError(provider.refund(paid.id, { idempotencyKey: `refund-${paid.id}` }));
    expect(error).toMatchObject({ kind: "invalid_request", code: "charge_disputed" });

    fake.resolveDispute(disputed?.id ?? "", "winning_evidence");
    expect((await provider.disputes(paid.id))[0]?.status).toBe("won");
    const clean = await provider.create(payment("pm_card_visa"));
    expect(await provider.disputes(clean.id)).toEqual([]);
  });

  it("reports an unknown payment as not found, without retrying", async () => {
    const { provider, stats } = setup();
    const error = await providerError(provider.retrieve("pi_missing", stats));
    expect(error).toMatchObject({ kind: "not_found", retryable: false, code: "resource_missing" });
    expect(statsOf(stats)).toEqual({ attempts: 1, retries: 0 });
  });

  it("reports a rejected key as an authentication error, without retrying", async () => {
    const { fake, provider, stats } = setup({ secretKey: "sk_live_not_for_tests" });
    const error = await providerError(provider.create(payment("pm_card_visa"), stats));
    expect(error).toMatchObject({ kind: "authentication", retryable: false });
    expect(fake.requests.map((r) => r.status)).toEqual([401]);
  });

  it("reports an unknown payment method as an invalid request", async () => {
    const { provider } = setup();
    const error = await providerError(provider.create(payment("pm_card_unknown")));
    expect(error).toMatchObject({ kind: "invalid_request", code: "resource_missing" });
  });
});

describe("webhooks", () => {
  async function succeededEvent() {
    const { fake, provider } = setup();
    const paid = await provider.create(payment("pm_card_visa"));
    const event = fake.events.find((e) => e.type === "payment_intent.succeeded");
    if (event === undefined) throw new Error("no payment_intent.succeeded event");
    return { fake, paid, event };
  }

  it("records Stripe-shaped events, naming the request and key that caused them", async () => {
    const { paid, event } = await succeededEvent();
    expect(event).toMatchObject({
      object: "event",
      type: "payment_intent.succeeded",
      livemode: false,
      data: {
        object: {
          object: "payment_intent",
          id: paid.id,
          status: "succeeded",
          latest_charge: paid.latestCharge,
        },
      },
    });
    expect(event.id).toMatch(/^evt_/);
    expect(event.request?.id).toMatch(/^req_/);
    expect(event.request?.idempotency_key).toMatch(/^key-/);
  });

  it("verifies a signed delivery and maps its PaymentIntent like an API answer", async () => {
    const { fake, paid, event } = await succeededEvent();
    const delivery = await fake.signedDelivery(event, WEBHOOK_SECRET);
    const verified = await stripeEventFrom(
      delivery.body,
      delivery.headers["stripe-signature"],
      WEBHOOK_SECRET,
    );
    expect(verified.id).toBe(event.id);
    if (verified.type !== "payment_intent.succeeded") throw new Error(`unexpected ${verified.type}`);
    expect(paymentFromStripe(verified.data.object)).toEqual({ ...paid, amountRefunded: 0 });
  });

  it("rejects a body with one byte changed", async () => {
    const { fake, event } = await succeededEvent();
    const delivery = await fake.signedDelivery(event, WEBHOOK_SECRET);
    const tampered = delivery.body.replace('"amount": 2000', '"amount": 2001');
    expect(tampered).not.toBe(delivery.body);
    await expect(
      stripeEventFrom(tampered, delivery.headers["stripe-signature"], WEBHOOK_SECRET),
    ).rejects.toThrow(/No signatures found matching/);
  });

  it("rejects a signature older than 300 s, and accepts one just inside the window", async () => {
    const { fake, event } = await succeededEvent();
    const signedAt = 1_800_000_000;
    const delivery = await fake.signedDelivery(event, WEBHOOK_SECRET, { timestamp: signedAt });
    const header = delivery.headers["stripe-signature"];
    await expect(
      stripeEventFrom(delivery.body, header, WEBHOOK_SECRET, { now: (signedAt + 301) * 1000 }),
    ).rejects.toThrow(/Timestamp outside the tolerance zone/);
    const fresh = await stripeEventFrom(delivery.body, header, WEBHOOK_SECRET, {
      now: (signedAt + 299) * 1000,
    });
    expect(fresh.id).toBe(event.id);
  });

  it("rejects a delivery signed with another secret, and one without a signature header", async () => {
    const { fake, event } = await succeededEvent();
    const delivery = await fake.signedDelivery(event, "whsec_someone_else");
    await expect(
      stripeEventFrom(delivery.body, delivery.headers["stripe-signature"], WEBHOOK_SECRET),
    ).rejects.toThrow(/No signatures found matching/);
    await expect(stripeEventFrom(delivery.body, undefined, WEBHOOK_SECRET)).rejects.toThrow(
      /No stripe-signature header value was provided/,
    );
  });
});
