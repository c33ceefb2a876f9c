/**
 * An in-memory, Stripe-compatible API for tests. Give its `fetch` to the official SDK and point the SDK
 * at `apiBase`:
 *
 *   const fake = createStripeFake();
 *   const provider = createStripeProvider({ secretKey: "sk_test_x", apiBase: fake.apiBase, fetch: fake.fetch });
 *   fake.failNext({ kind: "network_after" });       // the next request is processed, then the line drops
 *   await provider.create({ ..., paymentMethod: "pm_card_visa" });
 *   fake.count("POST /v1/payment_intents");          // 2: the first attempt and its retry
 *
 * It follows Stripe's documented behaviour for what checkout uses: PaymentIntents (create, retrieve,
 * update, confirm, cancel), Customers, Products, Subscriptions and Invoices (stripe-fake-billing.ts),
 * Refunds and Disputes moved by the test PaymentMethods (stripe-fake-resources.ts), Connect's accounts,
 * destination charges, transfers and their reversals (stripe-fake-connect.ts), `expand[]`,
 * idempotency keys, the error envelope, `Request-Id` and `Idempotent-Replayed` headers, and the events
 * Stripe would deliver as webhooks, which `signedDelivery` signs as Stripe does.
 */
import Stripe from "stripe";
import { docUrl, errorReply, type FakeEvent, type Reply, seconds, stripeId } from "./stripe-fake-objects";
import { createFakeAccount, type FormObject, type Handler } from "./stripe-fake-resources";

export type { FakeEvent } from "./stripe-fake-objects";

export type Fault =
  /** The connection fails before the request reaches Stripe: nothing happens there. */
  | { kind: "network_before" }
  /** Stripe processes the request, then the connection drops: the caller never sees the answer. */
  | { kind: "network_after" }
  /** 429 with Stripe's `rate_limit` error; nothing happens. */
  | { kind: "rate_limit" }
  /** 500 `api_error`; nothing happens. `shouldRetry` sets the `Stripe-Should-Retry` header. */
  | { kind: "server_error"; shouldRetry?: boolean };

export interface RecordedRequest {
  method: string;
  /** e.g. `POST /v1/payment_intents/:id/confirm`; the literal path for routes the fake does not serve. */
  route: string;
  idempotencyKey: string | null;
  params: FormObject;
  /** The status the fake answered with; null when the request never reached it. */
  status: number | null;
  /** False when a fault kept the answer from the caller. */
  delivered: boolean;
  /** True when the answer was a stored one, replayed for a repeated idempotency key. */
  replayed: boolean;
}

type Answer = Reply & { replayed: boolean };

export function createStripeFake(options: { now?: () => number } = {}) {
  const now = options.now ?? Date.now;
  const account = createFakeAccount(now);
  const stored = new Map<string, { fingerprint: string; reply: Reply }>();
  const faults: Fault[] = [];
  const requests: RecordedRequest[] = [];

  /**
   * Stripe's idempotency: the first result for a key is stored and replayed to a request with the same
   * parameters; a request with other parameters is refused. Nothing is stored when the request was
   * refused before it started executing (validation, 404), so that one can be retried with the key.
   */
  function idempotent(key: string | null, fingerprint: string, run: () => Reply): Answer {
    const earlier = key === null ? undefined : stored.get(key);
    if (earlier !== undefined && earlier.fingerprint !== fingerprint) {
      const message = `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`;
      return { ...errorReply(400, { type: "idempotency_error", message }), replayed: false };
    }
    if (earlier !== undefined) return { ...earlier.reply, replayed: true };
    const reply = run();
    const executed = reply.status < 400 || reply.status === 402 || reply.status >= 500;
    if (key !== null && executed) stored.set(key, { fingerprint, reply });
    return { ...reply, replayed: false };
  }

  function answer(request: Request, path: string, handler: Handler | null, params: FormObject): Answer {
    if (!/^Bearer sk_test_\w+$/.test(request.headers.get("authorization") ?? "")) {
      const message = "Invalid API Key provided. The fake accepts test-mode secret keys (sk_test_…) only.";
      return { ...errorReply(401, { type: "invalid_request_error", message }), replayed: false };
    }
    if (handler === null) {
      const message = `Unrecognized request URL (${request.method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`;
      return { ...errorReply(404, { type: "invalid_request_error", message }), replayed: false };
    }
    // Stripe ignores idempotency keys on GET and DELETE.
    const key = request.method === "POST" ? request.headers.get("idempotency-key") : null;
    const ctx = { requestId: stripeId("req", 14), idempotencyKey: key };
    return idempotent(key, `${request.method} ${path} ${canonical(params)}`, () => handler(params, ctx));
  }

  const fetchFake: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const { pathname, search } = new URL(request.url);
    // Decoded by hand: workerd warns when .text() reads a form-encoded body.
    const body =
      request.method === "POST" ? new TextDecoder().decode(await request.arrayBuffer()) : search.slice(1);
    const params = parseForm(body);
    const { name, handler } = account.route(request.method, pathname);
    const key = request.headers.get("idempotency-key");
    const entry: RecordedRequest = {
      method: request.method,
      route: name,
      idempotencyKey: key,
      params,
      status: null,
      delivered: false,
      replayed: false,
    };
    requests.push(entry);
    const fault = faults.shift();
    if (fault?.kind === "network_before") throw new TypeError("Network connection lost.");
    const reply = injected(fault) ?? answer(request, pathname, handler, params);
    entry.status = reply.status;
    entry.replayed = reply.replayed;
    if (fault?.kind === "network_after") throw new TypeError("Network connection lost.");
    entry.delivered = true;
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "request-id": stripeId("req", 14),
      "stripe-version": request.headers.get("stripe-version") ?? Stripe.API_VERSION,
      ...(key && request.method === "POST" ? { "idempotency-key": key } : {}),
      ...(reply.replayed ? { "idempotent-replayed": "true" } : {}),
      ...reply.headers,
    };
    return new Response(JSON.stringify(reply.body, null, 2), { status: reply.status, headers });
  };

  return {
    apiBase: "http://stripe.test",
    fetch: fetchFake,
    /** The next `times` requests meet `fault`, after any faults already queued. */
    failNext(fault: Fault, times = 1) {
      for (let i = 0; i < times; i++) faults.push(fault);
    },
    /** Every request that reached (or tried to reach) the fake, in order. */
    requests,
    count: (route: string) => requests.filter((r) => r.route === route).length,
    /** Events as Stripe would deliver them, oldest first. */
    events: account.events,
    paymentIntents: () => [...account.intents.values()].map((pi) => structuredClone(pi)),
    charges: () => [...account.charges.values()].map((charge) => structuredClone(charge)),
    refunds: () => [...account.refunds.values()].map((refund) => structuredClone(refund)),
    disputes: () => [...account.disputes.values()].map((dispute) => structuredClone(dispute)),
    subscriptions: () => [...account.billing.subscriptions.values()].map((sub) => structuredClone(sub)),
    customers: () => [...account.billing.customers.values()].map((c) => structuredClone(c)),
    products: () => [...account.billing.products.values()].map((p) => structuredClone(p)),
    invoices: () => [...account.billing.invoices.values()].map((i) => structuredClone(i)),
    accounts: () => [...account.connect.accounts.values()].map((a) => structuredClone(a)),
    transfers: () => [...account.connect.transfers.values()].map((t) => structuredClone(t)),
    applicationFees: () => [...account.connect.fees.values()].map((f) => structuredClone(f)),
    /** A connected account finishes onboarding: it can take destination charges (`account.updated`). */
    completeOnboarding: (acct: string) => account.connect.completeOnboarding(acct),
    /** Stripe disables a connected account for `reason` (`account.updated`). */
    restrictAccount: (acct: string, reason: Stripe.Account.Requirements.DisabledReason) =>
      account.connect.restrictAccount(acct, reason),
    /** What a connected account holds in `currency` (default usd): transfers in, less fees and reversals. */
    balanceOf: (acct: string, currency?: string) => account.connect.balanceOf(acct, currency),
    /** Stripe Billing's test-only moves: a renewal, a Smart Retry, a cancellation (stripe-fake-billing.ts). */
    billing: {
      renew: account.billing.renew,
      retry: account.billing.retry,
      cancel: account.billing.cancel,
      latestIntent: account.billing.latestIntent,
    },
    /** The cardholder's bank disputes a succeeded payment (a chargeback, or an inquiry before one). */
    dispute: (piId: string, caseType: "chargeback" | "inquiry" = "chargeback") =>
      account.dispute(piId, caseType),
    /** The merchant submits Stripe's test evidence: `winning_evidence` wins, `losing_evidence` loses. */
    resolveDispute: (disputeId: string, evidence: "winning_evidence" | "losing_evidence") =>
      account.resolveDispute(disputeId, evidence),
    /**
     * The buyer completes (or fails) the 3-D Secure challenge of a `requires_action` PaymentIntent. As on
     * Stripe, a completed challenge moves the payment on by itself: it succeeds with no further confirm.
     */
    authenticate: (piId: string, outcome: "succeed" | "fail" = "succeed") =>
      account.authenticate(piId, outcome),
    /** A webhook delivery of `event` signed as Stripe signs it: the raw body and its `stripe-signature`. */
    async signedDelivery(event: FakeEvent, secret: string, options: { timestamp?: number } = {}) {
      const body = JSON.stringify(event, null, 2);
      return { body, headers: await signBody(body, secret, { now: now(), ...options }) };
    },
    /** The `stripe-signature` header Stripe would send with `body`, whatever the body holds. */
    signBody: (body: string, secret: string, options: { timestamp?: number } = {}) =>
      signBody(body, secret, { now: now(), ...options }),
  };
}

export type StripeFake = ReturnType<typeof createStripeFake>;

async function signBody(body: string, secret: string, options: { timestamp?: number; now?: number } = {}) {
  const signature = await Stripe.webhooks.generateTestHeaderStringAsync({
    payload: body,
    secret,
    timestamp: options.timestamp ?? seconds(options.now ?? Date.now()),
    cryptoProvider: Stripe.createSubtleCryptoProvider(),
  });
  return { "stripe-signature": signature };
}

/** The answer a fault puts in place of Stripe's; network faults have none. */
function injected(fault: Fault | undefined): Answer | null {
  if (fault?.kind === "rate_limit") {
    const message =
      "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.";
    const reply = errorReply(429, {
      type: "invalid_request_error",
      code: "rate_limit",
      doc_url: docUrl("rate_limit"),
      message,
    });
    return { ...reply, replayed: false };
  }
  if (fault?.kind === "server_error") {
    const reply = errorReply(500, { type: "api_error", message: "An unknown error occurred" });
    const advice: Record<string, string> =
      fault.shouldRetry === undefined ? {} : { "stripe-should-retry": String(fault.shouldRetry) };
    return { ...reply, headers: advice, replayed: false };
  }
  return null;
}

/** Parses the SDK's form bodies: `metadata[order_id]=…`, `expand[0]=latest_charge`, nested to any depth. */
export function parseForm(body: string): FormObject {
  const root: FormObject = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = key.split("[").map((segment) => segment.replace(/]$/, ""));
    let node = root;
    for (const [i, segment] of path.entries()) {
      if (i === path.length - 1) {
        node[segment] = value;
        break;
      }
      const child = node[segment];
      const next: FormObject = typeof child === "object" ? child : {};
      node[segment] = next;
      node = next;
    }
  }
  return root;
}

/** Parameters compared regardless of the order they were sent in. */
function canonical(value: FormObject | string): string {
  if (typeof value === "string") return JSON.stringify(value);
  const entries = Object.entries(value).sort(([a], [b]) => a.localeCompare(b));
  return `{${entries.map(([k, v]) => `${k}:${canonical(v)}`).join(",")}}`;
}
