/**
 * The fake Stripe account behind stripe-fake.ts: PaymentIntents, Charges and Refunds in memory, moved
 * through Stripe's states by its test PaymentMethods, and the events Stripe would send about them.
 * It sees requests already authenticated and de-duplicated; the HTTP side lives in stripe-fake.ts.
 * Customers, Products, Subscriptions and Invoices live in stripe-fake-billing.ts, which is told when
 * a PaymentIntent succeeds or fails (an invoice's payment moves its invoice and subscription).
 */
import type Stripe from "stripe";
import { createFakeBilling } from "./stripe-fake-billing";
import { createFakeConnect } from "./stripe-fake-connect";
import {
  type CardBehaviour,
  chargeObject,
  type DisputeEventType,
  disputeObject,
  docUrl,
  errorReply,
  eventObject,
  type FakeEvent,
  type FakeEventType,
  invalidRequest,
  noSuch,
  paymentIntentObject,
  type Reply,
  refundObject,
  type StripeErrorBody,
  seconds,
  stripeId,
  testPaymentMethods,
  unexpectedState,
} from "./stripe-fake-objects";

/** A parsed form body: `metadata[order_id]=x` becomes `{ metadata: { order_id: "x" } }`. */
export type FormValue = string | FormObject;
export interface FormObject {
  [key: string]: FormValue;
}

/** The API request being served, which events name as their cause. */
export interface RequestContext {
  requestId: string;
  idempotencyKey: string | null;
}

export type Handler = (params: FormObject, ctx: RequestContext) => Reply;

/** Statuses from which Stripe lets a PaymentIntent be confirmed, and canceled. */
const CONFIRMABLE = ["requires_payment_method", "requires_confirmation", "requires_action"];
const CANCELABLE = [...CONFIRMABLE, "requires_capture", "processing"];
const REFUND_REASONS = ["duplicate", "fraudulent", "requested_by_customer"];

export function createFakeAccount(now: () => number) {
  const intents = new Map<string, Stripe.PaymentIntent>();
  const charges = new Map<string, Stripe.Charge>();
  const refunds = new Map<string, Stripe.Refund>();
  const disputes = new Map<string, Stripe.Dispute>();
  /** Stripe turns a test token into a new PaymentMethod id on each use; this remembers what each does. */
  const methods = new Map<string, CardBehaviour>();
  const returnUrls = new Map<string, string>();
  const events: FakeEvent[] = [];
  const connect = createFakeConnect({ now, events, charges });

  const emit = (
    type: FakeEventType,
    object: Stripe.PaymentIntent | Stripe.Charge | Stripe.Dispute | Stripe.Subscription | Stripe.Invoice,
    ctx: RequestContext | null,
  ) =>
    events.push(
      eventObject(type, object, seconds(now()), {
        id: ctx?.requestId ?? null,
        idempotency_key: ctx?.idempotencyKey ?? null,
      }),
    );

  /** Typed against the SDK's PaymentIntent, so a misspelt field or a wrong shape fails the type check. */
  const update = (pi: Stripe.PaymentIntent, changes: Partial<Stripe.PaymentIntent>) =>
    Object.assign(pi, changes);

  /** Applies `expand[]`; only `latest_charge` is expandable on the routes the fake serves. */
  function render(pi: Stripe.PaymentIntent, params: FormObject): Reply {
    const expand = stringList(params.expand);
    const unknown = expand.find((path) => path !== "latest_charge");
    if (unknown) return invalidRequest(`This property cannot be expanded (${unknown}).`);
    const charge = typeof pi.latest_charge === "string" ? charges.get(pi.latest_charge) : undefined;
    return {
      status: 200,
      body: structuredClone(charge && expand.length > 0 ? { ...pi, latest_charge: charge } : pi),
    };
  }

  function succeed(pi: Stripe.PaymentIntent, method: string, ctx: RequestContext | null): void {
    const charge = chargeObject(pi, method, seconds(now()), null);
    charges.set(charge.id, charge);
    connect.settle(pi, charge);
    update(pi, {
      status: "succeeded",
      amount_received: pi.amount,
      latest_charge: charge.id,
      last_payment_error: null,
      next_action: null,
      payment_method: method,
    });
    emit("payment_intent.succeeded", pi, ctx);
    billing.settled(pi, ctx);
    const behaviour = methods.get(method);
    if (behaviour?.kind === "dispute") openDispute(charge, behaviour.caseType, ctx);
  }

  /** The cardholder's bank disputes a charge: Stripe opens a Dispute and says so. */
  function openDispute(
    charge: Stripe.Charge,
    caseType: "chargeback" | "inquiry",
    ctx: RequestContext | null,
  ): Stripe.Dispute {
    const dispute = disputeObject(charge, { caseType, created: seconds(now()) });
    disputes.set(dispute.id, dispute);
    charge.disputed = true;
    emit("charge.dispute.created", dispute, ctx);
    if (caseType === "chargeback") emit("charge.dispute.funds_withdrawn", dispute, ctx);
    return dispute;
  }

  /**
   * Stripe's test-mode evidence: `winning_evidence` closes the dispute in the merchant's favour,
   * `losing_evidence` against. An inquiry won closes (`warning_closed`); an inquiry lost escalates to a
   * chargeback on the same dispute, as a bank's inquiry does.
   */
  function submitEvidence(dispute: Stripe.Dispute, text: string | undefined, ctx: RequestContext | null) {
    const outcome = text === "winning_evidence" ? "won" : text === "losing_evidence" ? "lost" : undefined;
    const inquiry = dispute.status.startsWith("warning_");
    dispute.evidence.uncategorized_text = text ?? dispute.evidence.uncategorized_text;
    dispute.evidence_details.has_evidence = true;
    dispute.evidence_details.submission_count += 1;
    dispute.evidence_details.submission_method = "manual";
    const move = (status: Stripe.Dispute.Status, type: DisputeEventType) => {
      dispute.status = status;
      emit(type, dispute, ctx);
    };
    if (outcome === undefined) return;
    if (inquiry) {
      move("warning_under_review", "charge.dispute.updated");
      if (outcome === "won") move("warning_closed", "charge.dispute.closed");
      else {
        dispute.is_charge_refundable = false;
        move("needs_response", "charge.dispute.updated");
        emit("charge.dispute.funds_withdrawn", dispute, ctx);
      }
      return;
    }
    move("under_review", "charge.dispute.updated");
    move(outcome, "charge.dispute.closed");
    if (outcome === "won") emit("charge.dispute.funds_reinstated", dispute, ctx);
  }

  function updateDispute(dispute: Stripe.Dispute, params: FormObject, ctx: RequestContext): Reply {
    if (["won", "lost", "warning_closed"].includes(dispute.status)) {
      return invalidRequest(`This dispute is already closed (status ${dispute.status}).`);
    }
    const evidence = params.evidence;
    submitEvidence(
      dispute,
      typeof evidence === "object" ? text(evidence.uncategorized_text) : undefined,
      ctx,
    );
    return { status: 200, body: structuredClone(dispute) };
  }

  /** Accepting the dispute: a chargeback is lost; an inquiry closes. */
  function closeDispute(dispute: Stripe.Dispute, ctx: RequestContext): Reply {
    if (["won", "lost", "warning_closed"].includes(dispute.status)) {
      return { status: 200, body: structuredClone(dispute) };
    }
    dispute.status = dispute.status.startsWith("warning_") ? "warning_closed" : "lost";
    emit("charge.dispute.closed", dispute, ctx);
    return { status: 200, body: structuredClone(dispute) };
  }

  function listDisputes(params: FormObject): Reply {
    const pi = text(params.payment_intent);
    const charge = text(params.charge);
    const data = [...disputes.values()]
      .filter(
        (d) => (pi === undefined || d.payment_intent === pi) && (charge === undefined || d.charge === charge),
      )
      .sort((a, b) => b.created - a.created);
    const limit = Number(text(params.limit) ?? 10);
    return {
      status: 200,
      body: {
        object: "list",
        data: structuredClone(data.slice(0, limit)),
        has_more: data.length > limit,
        url: "/v1/disputes",
      },
    };
  }

  function requireAction(pi: Stripe.PaymentIntent, method: string, ctx: RequestContext): void {
    const returnUrl = returnUrls.get(pi.id) ?? null;
    const url = `https://hooks.stripe.com/3d_secure_2/hosted?payment_intent=${pi.id}`;
    update(pi, {
      status: "requires_action",
      payment_method: method,
      last_payment_error: null,
      // Without a return_url Stripe expects Stripe.js to run the challenge in the page.
      next_action: returnUrl
        ? { type: "redirect_to_url", redirect_to_url: { url, return_url: returnUrl } }
        : { type: "use_stripe_sdk", use_stripe_sdk: { type: "three_d_secure_redirect", stripe_js: url } },
    });
    emit("payment_intent.requires_action", pi, ctx);
  }

  /** The issuer declines: 402 with the PaymentIntent, back to waiting for a payment method. */
  function decline(pi: Stripe.PaymentIntent, method: string, why: CardBehaviour, ctx: RequestContext): Reply {
    if (why.kind !== "decline") throw new Error("not a declining card");
    const charge = chargeObject(pi, method, seconds(now()), why);
    charges.set(charge.id, charge);
    const error: StripeErrorBody = {
      type: "card_error",
      code: "card_declined",
      decline_code: why.declineCode,
      message: why.message,
      charge: charge.id,
      doc_url: docUrl("card_declined"),
    };
    // The failed charge stays linked as the latest one; the method is detached from the PaymentIntent.
    update(pi, {
      status: "requires_payment_method",
      payment_method: null,
      latest_charge: charge.id,
      next_action: null,
      last_payment_error: error,
    });
    emit("payment_intent.payment_failed", pi, ctx);
    billing.settled(pi, ctx);
    return errorReply(402, { ...error, payment_intent: structuredClone(pi) });
  }

  /** A test token names a behaviour; like Stripe, each use mints a fresh `pm_…` id. */
  function paymentMethodFrom(token: string): string | Reply {
    const behaviour = testPaymentMethods[token] ?? methods.get(token);
    if (behaviour === undefined) return noSuch("PaymentMethod", token, "payment_method");
    const id = token.startsWith("pm_card_") ? stripeId("pm") : token;
    methods.set(id, behaviour);
    return id;
  }

  function confirmWith(
    pi: Stripe.PaymentIntent,
    method: unknown,
    params: FormObject,
    ctx: RequestContext,
  ): Reply {
    if (!CONFIRMABLE.includes(pi.status)) {
      return unexpectedState(
        pi,
        `You cannot confirm this PaymentIntent because it has a status of ${pi.status}.`,
      );
    }
    const returnUrl = text(params.return_url);
    if (returnUrl) returnUrls.set(pi.id, returnUrl);
    const behaviour = typeof method === "string" ? methods.get(method) : undefined;
    if (typeof method !== "string" || behaviour === undefined) {
      return unexpectedState(
        pi,
        "You cannot confirm this PaymentIntent because it's missing a payment method.",
      );
    }
    if (behaviour.kind === "decline") return decline(pi, method, behaviour, ctx);
    if (behaviour.kind === "authenticate") requireAction(pi, method, ctx);
    else succeed(pi, method, ctx);
    return render(pi, params);
  }

  function confirm(pi: Stripe.PaymentIntent, params: FormObject, ctx: RequestContext): Reply {
    const token = text(params.payment_method);
    if (token === undefined) return confirmWith(pi, pi.payment_method, params, ctx);
    const method = paymentMethodFrom(token);
    return typeof method === "string" ? confirmWith(pi, method, params, ctx) : method;
  }

  /** Only metadata is updatable here (what checkout updates on an invoice's PaymentIntent). */
  function updateIntent(pi: Stripe.PaymentIntent, params: FormObject): Reply {
    const metadata = stringRecord(params.metadata);
    update(pi, { metadata: { ...pi.metadata, ...metadata } });
    return render(pi, params);
  }

  function createIntent(params: FormObject, ctx: RequestContext): Reply {
    for (const param of ["amount", "currency"]) {
      if (text(params[param]) === undefined) {
        return invalidRequest(`Missing required param: ${param}.`, { code: "parameter_missing", param });
      }
    }
    const amount = Number(text(params.amount));
    if (!Number.isInteger(amount) || amount < 1) {
      return invalidRequest("Invalid integer", { code: "parameter_invalid_integer", param: "amount" });
    }
    const transferData = params.transfer_data;
    const destination = typeof transferData === "object" ? text(transferData.destination) : undefined;
    const fee = text(params.application_fee_amount);
    const refused = connect.destinationError(destination, fee, amount, {
      destination: "transfer_data[destination]",
      fee: "application_fee_amount",
    });
    if (refused !== null) return refused;
    const allowed = stringList(params.allowed_payment_method_types);
    const pi = paymentIntentObject({
      amount,
      currency: (text(params.currency) ?? "").toLowerCase(),
      metadata: stringRecord(params.metadata),
      description: text(params.description) ?? null,
      receiptEmail: text(params.receipt_email) ?? null,
      allowedTypes: allowed.length > 0 ? allowed : null,
      created: seconds(now()),
    });
    if (destination !== undefined) {
      update(pi, {
        transfer_data: { destination },
        application_fee_amount: fee === undefined ? null : Number(fee),
      });
    }
    const token = text(params.payment_method);
    if (token !== undefined) {
      const method = paymentMethodFrom(token);
      if (typeof method !== "string") return method;
      update(pi, { payment_method: method, status: "requires_confirmation" });
    }
    intents.set(pi.id, pi);
    if (text(params.confirm) === "true") return confirmWith(pi, pi.payment_method, params, ctx);
    return render(pi, params);
  }

  function cancel(pi: Stripe.PaymentIntent, params: FormObject, ctx: RequestContext): Reply {
    if (!CANCELABLE.includes(pi.status)) {
      const allowed = CANCELABLE.join(", ");
      return unexpectedState(
        pi,
        `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${allowed}.`,
      );
    }
    update(pi, {
      status: "canceled",
      canceled_at: seconds(now()),
      cancellation_reason: null,
      next_action: null,
    });
    emit("payment_intent.canceled", pi, ctx);
    return render(pi, params);
  }

  function refund(params: FormObject, ctx: RequestContext): Reply {
    const piId = text(params.payment_intent) ?? "";
    const pi = intents.get(piId);
    if (pi === undefined) return noSuch("payment_intent", piId, "payment_intent");
    const charge = typeof pi.latest_charge === "string" ? charges.get(pi.latest_charge) : undefined;
    if (pi.status !== "succeeded" || charge === undefined) {
      return unexpectedState(pi, "This PaymentIntent does not have a successful charge to refund.");
    }
    const disputed = [...disputes.values()].find(
      // Refundable while only an inquiry, and again once the merchant won the money back.
      (d) => d.charge === charge.id && !d.status.startsWith("warning_") && d.status !== "won",
    );
    if (disputed !== undefined) {
      return invalidRequest(`Charge ${charge.id} has been charged back; cannot issue a refund.`, {
        code: "charge_disputed",
      });
    }
    const remaining = charge.amount - charge.amount_refunded;
    if (remaining === 0) {
      return invalidRequest(`Charge ${charge.id} has already been refunded.`, {
        code: "charge_already_refunded",
      });
    }
    const amount = text(params.amount) === undefined ? remaining : Number(text(params.amount));
    if (!Number.isInteger(amount) || amount < 1 || amount > remaining) {
      const message = `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`;
      return invalidRequest(message, { code: "amount_too_large", param: "amount" });
    }
    const reason = text(params.reason) ?? null;
    if (reason !== null && !REFUND_REASONS.includes(reason)) {
      return invalidRequest(`Invalid reason: must be one of ${REFUND_REASONS.join(", ")}`, {
        param: "reason",
      });
    }
    const refused = connect.refundError(charge, params);
    if (refused !== null) return refused;
    const metadata = stringRecord(params.metadata);
    const created = refundObject(charge, { amount, reason, metadata, created: seconds(now()) });
    refunds.set(created.id, created);
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    connect.onRefund(charge, created, params);
    emit("charge.refunded", charge, ctx);
    return connect.renderRefund(created, charge, params);
  }

  const onIntent =
    (
      id: string,
      run: (pi: Stripe.PaymentIntent, params: FormObject, ctx: RequestContext) => Reply,
    ): Handler =>
    (params, ctx) => {
      const pi = intents.get(id);
      return pi ? run(pi, params, ctx) : noSuch("payment_intent", id);
    };

  const onDispute =
    (id: string, run: (dispute: Stripe.Dispute, params: FormObject, ctx: RequestContext) => Reply): Handler =>
    (params, ctx) => {
      const dispute = disputes.get(id);
      return dispute ? run(dispute, params, ctx) : noSuch("dispute", id);
    };

  /** The route a request names (`POST /v1/payment_intents/:id/confirm`), and its handler if served. */
  function route(method: string, path: string): { name: string; handler: Handler | null } {
    const match =
      /^\/v1\/(payment_intents|refunds|disputes)(?:\/([^/]+))?(?:\/(confirm|cancel|close))?$/.exec(path);
    if (match === null) return connect.route(method, path) ?? billing.route(method, path);
    const [, resource, id, action] = match;
    const name = `${method} /v1/${resource}${id ? "/:id" : ""}${action ? `/${action}` : ""}`;
    const handlers: Record<string, Handler> = {
      "POST /v1/payment_intents": createIntent,
      "GET /v1/payment_intents/:id": onIntent(id ?? "", (pi, params) => render(pi, params)),
      "POST /v1/payment_intents/:id": onIntent(id ?? "", updateIntent),
      "POST /v1/payment_intents/:id/confirm": onIntent(id ?? "", confirm),
      "POST /v1/payment_intents/:id/cancel": onIntent(id ?? "", cancel),
      "POST /v1/refunds": refund,
      "GET /v1/disputes": listDisputes,
      "GET /v1/disputes/:id": onDispute(id ?? "", (dispute) => ({
        status: 200,
        body: structuredClone(dispute),
      })),
      "POST /v1/disputes/:id": onDispute(id ?? "", updateDispute),
      "POST /v1/disputes/:id/close": onDispute(id ?? "", (dispute, _params, ctx) =>
        closeDispute(dispute, ctx),
      ),
    };
    return { name, handler: handlers[name] ?? null };
  }

  /**
   * A PaymentIntent for an invoice: Stripe creates it when the invoice is finalized. A subscription
   * with `transfer_data` makes it a destination charge, its fee the subscription's percent of it.
   */
  function invoiceIntent(input: {
    amount: number;
    currency: string;
    customer: string;
    destination: { account: string; fee: number | null } | null;
  }) {
    const pi = paymentIntentObject({
      amount: input.amount,
      currency: input.currency,
      metadata: {},
      description: "Subscription creation",
      receiptEmail: null,
      allowedTypes: ["card"],
      created: seconds(now()),
    });
    update(pi, { customer: input.customer, setup_future_usage: "off_session" });
    if (input.destination !== null) {
      update(pi, {
        transfer_data: { destination: input.destination.account },
        application_fee_amount: input.destination.fee,
      });
    }
    intents.set(pi.id, pi);
    return pi;
  }

  /** Charges an invoice's PaymentIntent off-session with a saved method (a renewal, a retry). */
  function chargeSaved(piId: string, method: string): void {
    const pi = intents.get(piId);
    if (pi === undefined) throw new Error(`no such PaymentIntent ${piId}`);
    const behaviour = methods.get(method) ?? testPaymentMethods[method];
    if (behaviour === undefined) throw new Error(`no such PaymentMethod ${method}`);
    methods.set(method, behaviour);
    const ctx = { requestId: stripeId("req", 14), idempotencyKey: null };
    // Off-session, a card that needs 3-D Secure declines: nobody is there to authenticate.
    const why =
      behaviour.kind === "authenticate"
        ? ({
            kind: "decline",
            declineCode: "authentication_required",
            message: "Authentication required.",
          } as const)
        : behaviour;
    if (why.kind === "decline") decline(pi, method, why, ctx);
    else succeed(pi, method, ctx);
  }

  const billing = createFakeBilling({
    now,
    emit,
    invoiceIntent,
    chargeSaved,
    paymentMethodFrom,
    destinationError: connect.destinationError,
  });

  return {
    route,
    events,
    billing,
    connect,
    intents,
    charges,
    refunds,
    disputes,

    /** The cardholder's bank disputes a succeeded payment's charge, as it may weeks after the sale. */
    dispute(piId: string, caseType: "chargeback" | "inquiry" = "chargeback"): Stripe.Dispute {
      const pi = intents.get(piId);
      const charge = typeof pi?.latest_charge === "string" ? charges.get(pi.latest_charge) : undefined;
      if (pi?.status !== "succeeded" || charge === undefined)
        throw new Error(`${piId} has no charge to dispute`);
      return structuredClone(openDispute(charge, caseType, null));
    },

    /** The merchant answers a dispute with Stripe's test evidence: it is won or lost. */
    resolveDispute(disputeId: string, evidence: "winning_evidence" | "losing_evidence") {
      const dispute = disputes.get(disputeId);
      if (dispute === undefined) throw new Error(`no dispute ${disputeId}`);
      submitEvidence(dispute, evidence, null);
      return structuredClone(dispute);
    },

    /** The buyer finishes (or fails) 3-D Secure; a finished challenge completes the payment by itself. */
    authenticate(piId: string, outcome: "succeed" | "fail") {
      const pi = intents.get(piId);
      if (pi?.status !== "requires_action" || typeof pi.payment_method !== "string") {
        throw new Error(`${piId} is not waiting for 3-D Secure`);
      }
      if (outcome === "succeed") return succeed(pi, pi.payment_method, null);
      update(pi, {
        status: "requires_payment_method",
        payment_method: null,
        next_action: null,
        last_payment_error: {
          type: "invalid_request_error",
          code: "payment_intent_authentication_failure",
          message: "The provided PaymentMethod has failed authentication.",
          doc_url: docUrl("payment_intent_authentication_failure"),
        },
      });
      emit("payment_intent.payment_failed", pi, null);
    },
  };
}

export const text = (value: FormValue | undefined): string | undefined =>
  typeof value === "string" ? value : undefined;

/** `expand[0]=a&expand[1]=b` parses to `{ 0: "a", 1: "b" }`; read back in index order. */
function stringList(value: FormValue | undefined): string[] {
  if (value === undefined || typeof value === "string") return [];
  return Object.entries(value)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([, v]) => v)
    .filter((v): v is string => typeof v === "string");
}

function stringRecord(value: FormValue | undefined): Record<string, string> {
  if (value === undefined || typeof value === "string") return {};
  return Object.fromEntries(
    Object.entries(value).filter((e): e is [string, string] => typeof e[1] === "string"),
  );
}
