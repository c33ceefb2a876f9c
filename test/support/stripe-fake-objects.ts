/**
 * Stripe-shaped objects for the fake in stripe-fake.ts: PaymentIntent, Charge, Refund, Event and the error
 * envelope, with the field names, nesting and nulls of Stripe's published example objects (the fixtures
 * of its OpenAPI description). They are typed against the SDK's own definitions, so a misspelt, missing
 * or wrongly typed field fails the type check rather than slipping past the tests.
 */
import Stripe from "stripe";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** An id the way Stripe writes them: a type prefix and 24 base-62 characters (`pi_3Pq…`). */
export function stripeId(prefix: string, length = 24): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return `${prefix}_${Array.from(bytes, (b) => ALPHABET.charAt(b % ALPHABET.length)).join("")}`;
}

export type CardBehaviour =
  | { kind: "succeed" }
  /** Succeeds, then the cardholder's bank disputes it: a chargeback, or an inquiry before one. */
  | { kind: "dispute"; caseType: "chargeback" | "inquiry" }
  | { kind: "authenticate" }
  | { kind: "decline"; declineCode: string; message: string };

const declined = (declineCode: string, message: string): CardBehaviour => ({
  kind: "decline",
  declineCode,
  message,
});

/** Stripe's documented test PaymentMethods (docs.stripe.com/testing), older aliases included. */
export const testPaymentMethods: Record<string, CardBehaviour> = {
  pm_card_visa: { kind: "succeed" },
  pm_card_mastercard: { kind: "succeed" },
  pm_card_visa_chargeDeclined: declined("generic_decline", "Your card was declined."),
  pm_card_chargeDeclined: declined("generic_decline", "Your card was declined."),
  pm_card_visa_chargeDeclinedInsufficientFunds: declined(
    "insufficient_funds",
    "Your card has insufficient funds.",
  ),
  pm_card_chargeDeclinedInsufficientFunds: declined(
    "insufficient_funds",
    "Your card has insufficient funds.",
  ),
  // 4000 0027 6000 3184: 3-D Secure is required on every transaction.
  pm_card_authenticationRequired: { kind: "authenticate" },
  // 4000 0000 0000 0259: the charge succeeds, then is disputed as fraudulent.
  pm_card_createDispute: { kind: "dispute", caseType: "chargeback" },
  // 4000 0000 0000 1976: the charge succeeds, then is disputed as an inquiry.
  pm_card_createDisputeInquiry: { kind: "dispute", caseType: "inquiry" },
};

export const seconds = (ms: number) => Math.floor(ms / 1000);

export interface NewPaymentIntent {
  amount: number;
  currency: string;
  metadata: Record<string, string>;
  description: string | null;
  receiptEmail: string | null;
  /** `allowed_payment_method_types` as sent; null when absent. */
  allowedTypes: Stripe.PaymentIntent.AllowedPaymentMethodType[] | null;
  created: number;
}

export function paymentIntentObject(input: NewPaymentIntent): Stripe.PaymentIntent {
  const id = stripeId("pi");
  return {
    id,
    object: "payment_intent",
    allowed_payment_method_types: input.allowedTypes,
    amount: input.amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    // Stripe turns automatic payment methods on when the request names no payment method types.
    automatic_payment_methods: input.allowedTypes === null ? { enabled: true } : null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: "automatic",
    client_secret: `${id}_secret_${stripeId("x", 25).slice(2)}`,
    confirmation_method: "automatic",
    created: input.created,
    currency: input.currency,
    customer: null,
    customer_account: null,
    description: input.description,
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    managed_payments: null,
    metadata: input.metadata,
    next_action: null,
    on_behalf_of: null,
    payment_method: null,
    payment_method_configuration_details: null,
    payment_method_options: {
      card: { installments: null, mandate_options: null, network: null, request_three_d_secure: "automatic" },
    },
    // What Stripe found compatible among the allowed types; the fake serves cards only.
    payment_method_types: ["card"],
    payment_record: null,
    processing: null,
    receipt_email: input.receiptEmail,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: "requires_payment_method",
    transfer_group: null,
  };
}

/** The charge a confirmation attempt creates: `succeeded`, or `failed` with the issuer's decline. */
export function chargeObject(
  pi: Stripe.PaymentIntent,
  paymentMethod: string,
  created: number,
  decline: { declineCode: string; message: string } | null,
): Stripe.Charge {
  const id = stripeId("ch");
  return {
    id,
    object: "charge",
    amount: pi.amount,
    amount_captured: decline ? 0 : pi.amount,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: decline ? null : stripeId("txn"),
    billing_details: { address: null, email: null, name: null, phone: null, tax_id: null },
    calculated_statement_descriptor: "FAKE* TEST",
    captured: decline === null,
    created,
    currency: pi.currency,
    customer: null,
    description: pi.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: decline ? "card_declined" : null,
    failure_message: decline?.message ?? null,
    fraud_details: {},
    livemode: false,
    metadata: { ...pi.metadata },
    on_behalf_of: null,
    outcome: {
      advice_code: null,
      network_advice_code: null,
      network_decline_code: null,
      network_status: decline ? "declined_by_network" : "approved_by_network",
      reason: decline?.declineCode ?? null,
      risk_level: "normal",
      seller_message: decline
        ? "The bank did not return any further details with this decline."
        : "Payment complete.",
      type: decline ? "issuer_declined" : "authorized",
    },
    paid: decline === null,
    payment_intent: pi.id,
    payment_method: paymentMethod,
    payment_method_details: { type: "card" },
    receipt_email: pi.receipt_email,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    refunds: { object: "list", data: [], has_more: false, url: `/v1/charges/${id}/refunds` },
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: decline ? "failed" : "succeeded",
    transfer_data: null,
    transfer_group: null,
  };
}

export function refundObject(
  charge: Stripe.Charge,
  input: { amount: number; reason: string | null; metadata: Record<string, string>; created: number },
): Stripe.Refund {
  return {
    id: stripeId("re"),
    object: "refund",
    amount: input.amount,
    balance_transaction: stripeId("txn"),
    charge: charge.id,
    created: input.created,
    currency: charge.currency,
    customer: null,
    customer_account: null,
    destination_details: { card: { type: "reversal" }, type: "card" },
    metadata: input.metadata,
    payment_intent: typeof charge.payment_intent === "string" ? charge.payment_intent : null,
    payment_method: charge.payment_method,
    reason: input.reason,
    receipt_number: null,
    source_transfer_reversal: null,
    // Card refunds in test mode succeed at once.
    status: "succeeded",
    transfer_reversal: null,
  };
}

/**
 * A dispute on a charge, as Stripe's test cards open one: a chargeback (`needs_response`, funds
 * withdrawn) or an inquiry (`warning_needs_response`, nothing withdrawn yet).
 */
export function disputeObject(
  charge: Stripe.Charge,
  input: { caseType: "chargeback" | "inquiry"; created: number },
): Stripe.Dispute {
  const inquiry = input.caseType === "inquiry";
  return {
    id: stripeId("dp"),
    object: "dispute",
    amount: charge.amount,
    // A chargeback withdraws the amount (and the fee) at once; an inquiry moves no money.
    balance_transactions: [],
    charge: charge.id,
    created: input.created,
    currency: charge.currency,
    enhanced_eligibility_types: [],
    evidence: {
      access_activity_log: null,
      billing_address: null,
      cancellation_policy: null,
      cancellation_policy_disclosure: null,
      cancellation_rebuttal: null,
      customer_communication: null,
      customer_email_address: null,
      customer_name: null,
      customer_purchase_ip: null,
      customer_signature: null,
      duplicate_charge_documentation: null,
      duplicate_charge_explanation: null,
      duplicate_charge_id: null,
      enhanced_evidence: {},
      product_description: null,
      receipt: null,
      refund_policy: null,
      refund_policy_disclosure: null,
      refund_refusal_explanation: null,
      service_date: null,
      service_documentation: null,
      shipping_address: null,
      shipping_carrier: null,
      shipping_date: null,
      shipping_documentation: null,
      shipping_tracking_number: null,
      uncategorized_file: null,
      uncategorized_text: null,
    },
    evidence_details: {
      due_by: input.created + 7 * 24 * 60 * 60,
      enhanced_eligibility: {},
      has_evidence: false,
      past_due: false,
      submission_count: 0,
      submission_method: "not_submitted",
    },
    intended_submission_method: null,
    // While only an inquiry, the charge can still be refunded (which ends it); not after a chargeback.
    is_charge_refundable: inquiry,
    livemode: false,
    metadata: {},
    network_reason_code: inquiry ? null : "10.4",
    payment_intent: typeof charge.payment_intent === "string" ? charge.payment_intent : null,
    payment_method_details: {
      card: {
        brand: "visa",
        case_type: input.caseType,
        network: "visa",
        network_reason_code: inquiry ? null : "10.4",
      },
      type: "card",
    },
    reason: inquiry ? "general" : "fraudulent",
    status: inquiry ? "warning_needs_response" : "needs_response",
  };
}

export type FakeEventType =
  | "payment_intent.succeeded"
  | "payment_intent.payment_failed"
  | "payment_intent.requires_action"
  | "payment_intent.canceled"
  | "charge.refunded"
  | DisputeEventType
  | BillingEventType
  | ConnectEventType;

/** Stripe Connect's events (stripe-fake-connect.ts): they name the connected account in `account`. */
export type ConnectEventType = "account.updated";

/** Stripe Billing's events (stripe-fake-billing.ts): a Subscription, or an Invoice, as `data.object`. */
export type SubscriptionEventType =
  | "customer.subscription.created"
  | "customer.subscription.updated"
  | "customer.subscription.deleted"
  | "customer.subscription.paused"
  | "customer.subscription.resumed";
export type InvoiceEventType =
  | "invoice.created"
  | "invoice.finalized"
  | "invoice.paid"
  | "invoice.payment_succeeded"
  | "invoice.payment_failed";
export type BillingEventType = SubscriptionEventType | InvoiceEventType;

export type DisputeEventType =
  | "charge.dispute.created"
  | "charge.dispute.updated"
  | "charge.dispute.closed"
  | "charge.dispute.funds_withdrawn"
  | "charge.dispute.funds_reinstated";

const isDisputeEvent = (type: FakeEventType): type is DisputeEventType => type.startsWith("charge.dispute.");

export type FakeEvent = Extract<Stripe.Event, { type: FakeEventType }>;

/** `request` is the API request that caused the event; null for what the buyer did (3-D Secure). */
export function eventObject(
  type: FakeEventType,
  object:
    | Stripe.PaymentIntent
    | Stripe.Charge
    | Stripe.Dispute
    | Stripe.Subscription
    | Stripe.Invoice
    | Stripe.Account,
  created: number,
  request: { id: string | null; idempotency_key: string | null },
): FakeEvent {
  const base = {
    id: stripeId("evt"),
    object: "event" as const,
    api_version: Stripe.API_VERSION,
    created,
    livemode: false,
    pending_webhooks: 1,
    request,
  };
  // A snapshot: later changes to the object must not show through an event already sent.
  const snapshot = structuredClone(object);
  if (type === "account.updated") {
    if (snapshot.object !== "account") throw new Error("account.updated carries an Account");
    // A Connect event: delivered to the platform's Connect endpoints, naming the account it is about.
    return { ...base, account: snapshot.id, type, data: { object: snapshot } };
  }
  if (type.startsWith("customer.subscription.")) {
    if (snapshot.object !== "subscription") throw new Error(`${type} carries a Subscription`);
    return { ...base, type: type as SubscriptionEventType, data: { object: snapshot } };
  }
  if (type.startsWith("invoice.")) {
    if (snapshot.object !== "invoice") throw new Error(`${type} carries an Invoice`);
    return { ...base, type: type as InvoiceEventType, data: { object: snapshot } };
  }
  if (isDisputeEvent(type)) {
    if (snapshot.object !== "dispute") throw new Error(`${type} carries a Dispute`);
    return { ...base, type, data: { object: snapshot } };
  }
  if (type === "charge.refunded") {
    if (snapshot.object !== "charge") throw new Error("charge.refunded carries a Charge");
    return { ...base, type, data: { object: snapshot } };
  }
  if (snapshot.object !== "payment_intent") throw new Error(`${type} carries a PaymentIntent`);
  return {
    ...base,
    type: type as Exclude<
      FakeEventType,
      BillingEventType | DisputeEventType | ConnectEventType | "charge.refunded"
    >,
    data: { object: snapshot },
  };
}

export interface StripeErrorBody {
  type: "api_error" | "card_error" | "idempotency_error" | "invalid_request_error";
  message: string;
  code?: string;
  decline_code?: string;
  param?: string;
  charge?: string;
  doc_url?: string;
  payment_intent?: Stripe.PaymentIntent;
}

/** An HTTP answer before it is serialised. */
export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export const docUrl = (code: string) => `https://stripe.com/docs/error-codes/${code.replaceAll("_", "-")}`;

/** Stripe's error envelope: `{ error: { type, code, message, … } }`. */
export const errorReply = (status: number, error: StripeErrorBody): Reply => ({ status, body: { error } });

export const invalidRequest = (message: string, details: { code?: string; param?: string } = {}): Reply =>
  errorReply(400, { type: "invalid_request_error", message, ...details });

/** An unknown id in the path is 404; an unknown id passed as a parameter is 400 naming the parameter. */
export const noSuch = (kind: string, id: string, param?: string): Reply =>
  errorReply(param ? 400 : 404, {
    type: "invalid_request_error",
    code: "resource_missing",
    message: `No such ${kind}: '${id}'`,
    ...(param ? { param } : {}),
  });

/** Stripe includes the PaymentIntent in errors about one, so callers can see its state. */
export const unexpectedState = (pi: Stripe.PaymentIntent, message: string): Reply =>
  errorReply(400, {
    type: "invalid_request_error",
    code: "payment_intent_unexpected_state",
    message,
    payment_intent: structuredClone(pi),
  });
