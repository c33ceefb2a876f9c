/**
 * What checkout needs from a payment processor. Two implementations sit behind it: Stripe (the official
 * SDK, src/payments/stripe.ts) and the sandbox (src/payments/sandbox.ts), which follows Stripe's test
 * cards so that `npm start` runs the whole loop locally. Shapes follow Stripe's PaymentIntent, so the two
 * are interchangeable and a webhook event's `data.object` maps onto `Payment` the same way.
 */

/** Stripe's PaymentIntent statuses. A decline returns to `requires_payment_method` with `lastError` set. */
export type PaymentStatus =
  | "requires_payment_method"
  | "requires_confirmation"
  | "requires_action"
  | "processing"
  | "requires_capture"
  | "succeeded"
  | "canceled";

export interface PaymentFailure {
  /** Stripe's error code, e.g. `card_declined`, `expired_card`, `processing_error`. */
  code: string;
  /** Stripe's decline code, e.g. `generic_decline`, `insufficient_funds`; null when not a decline. */
  declineCode: string | null;
  message: string;
}

export interface Payment {
  /** `pi_…` */
  id: string;
  status: PaymentStatus;
  /** Minor units. */
  amount: number;
  /** Upper-case ISO 4217, as everywhere in this API (Stripe's own is lower-case). */
  currency: string;
  /** For client-side confirmation (Stripe.js); null once the payment is final. */
  clientSecret: string | null;
  /** Set while `requires_action`: what the buyer must do (3-D Secure), e.g. a redirect URL. */
  nextAction: { type: string; redirectUrl: string | null } | null;
  /** The last failed attempt, if any (`last_payment_error`). */
  lastError: PaymentFailure | null;
  /** Links the payment to our order, hold and creator: `order_id`, `hold_id`, `creator_id`, `checkout_id`. */
  metadata: Record<string, string>;
  /** `ch_…` once a charge exists. */
  latestCharge: string | null;
  /** Minor units refunded so far. */
  amountRefunded: number;
  /** What it was (or is being) paid with: a PaymentMethod id, or the sandbox's test card. Renewals reuse it. */
  paymentMethod: string | null;
  /**
   * The provider's subscription whose first invoice this payment is (Stripe Billing), with that first
   * period (epoch ms); absent for a one-off payment and for the sandbox, which renews by itself.
   */
  subscription?: ProviderSubscriptionRef | null;
  /** A destination charge: the account, the fee, and the transfer (`tr_…`) once it succeeded. */
  destination?: (Destination & { transfer: string | null }) | null;
}

export interface ProviderSubscriptionRef {
  /** `sub_…` */
  id: string;
  periodStart: number;
  periodEnd: number;
}

/**
 * Stripe Connect, destination charges (docs/payouts.md): the payment settles on the platform's account
 * and `amount - applicationFeeAmount` is transferred to `account` when it succeeds (Stripe's
 * `transfer_data.destination` and `application_fee_amount`).
 */
export interface Destination {
  /** `acct_…` */
  account: string;
  /** Minor units the platform keeps; 0 for none. */
  applicationFeeAmount: number;
  /**
   * The creator's fee rate the amount came from (basis points), when known: a subscription at Stripe takes
   * its fee as a percent of each invoice, which an amount floored to the minor unit cannot give back exactly.
   */
  applicationFeeBps?: number | undefined;
}

export interface CreatePayment {
  amount: number;
  currency: string;
  /** A destination charge to a creator's connected account; absent when the platform keeps the money. */
  destination?: Destination | undefined;
  /**
   * When given, the payment is confirmed at once with this method: a Stripe PaymentMethod id or test
   * token (`pm_card_visa`), or a test card number for the sandbox. Without it the buyer confirms on the
   * client with `clientSecret`.
   */
  paymentMethod?: string | undefined;
  /** Where 3-D Secure returns the buyer. */
  returnUrl?: string | undefined;
  description?: string | undefined;
  receiptEmail?: string | undefined;
  metadata: Record<string, string>;
  /** Derived from the checkout's own key: a retry can never create a second payment. */
  idempotencyKey: string;
}

/**
 * A membership's first payment as a renewing subscription at the provider (Stripe Billing): a customer
 * for the email, a product for the offer, and the subscription, whose first invoice's payment is then
 * confirmed like any checkout payment (3-D Secure included).
 */
export interface CreateSubscription extends CreatePayment {
  email: string;
  /** The offer the member pays for, as the provider's product. */
  product: { id: string; name: string };
  interval: { unit: "week" | "month" | "year"; count: number };
}

/** A provider's subscription as billing reads it (epoch ms), with Stripe's own status names. */
export interface BillingSubscription {
  id: string;
  /** Stripe's statuses, `incomplete_expired` included. */
  status: string;
  periodStart: number;
  periodEnd: number;
  cancelAtPeriodEnd: boolean;
  trialEnd: number | null;
  metadata: Record<string, string>;
}

/** The invoice a payment paid, as billing needs it: which subscription and which period. */
export interface BillingInvoice {
  id: string;
  subscriptionId: string | null;
  /** The subscription's metadata as the invoice recorded it when finalized. */
  metadata: Record<string, string>;
  status: string;
  periodStart: number | null;
  periodEnd: number | null;
  /** Minor units: what the invoice asks, and what was paid of it. */
  amountDue: number;
  amountPaid: number;
  /** Upper-case ISO 4217. */
  currency: string;
  /** Charges tried so far (Stripe's Smart Retries included). */
  attempts: number;
}

export interface Refund {
  /** `re_…` */
  id: string;
  paymentId: string;
  amount: number;
  status: "pending" | "requires_action" | "succeeded" | "failed" | "canceled";
  /** A destination charge's refund with `reverseTransfer`: what was taken back from the account. */
  transferReversal?: { id: string; amount: number } | null;
  /** Minor units of the platform fee returned with it (Stripe's application fee refund). */
  feeRefunded?: number;
}

/**
 * A dispute a cardholder's bank opened on a payment, as Stripe's Dispute reports it. `status` is
 * Stripe's own: an inquiry (`warning_needs_response`, `warning_under_review`, `warning_closed`), a
 * chargeback (`needs_response`, `under_review`, `appeal_…`), decided (`won`, `lost`), or `prevented`.
 */
export interface Dispute {
  /** `dp_…` */
  id: string;
  paymentId: string;
  /** Minor units. */
  amount: number;
  /** Upper-case ISO 4217. */
  currency: string;
  status: string;
  /** Stripe's reason, e.g. `fraudulent`, `product_not_received`, `general`. */
  reason: string;
  /** Epoch ms. */
  created: number;
}

export type DisputeEventType =
  | "charge.dispute.created"
  | "charge.dispute.updated"
  | "charge.dispute.closed"
  | "charge.dispute.funds_withdrawn"
  | "charge.dispute.funds_reinstated";

/**
 * A processor event, as checkout's completion path consumes it: Stripe webhooks are mapped to this, and
 * the sandbox emits it directly, so both providers complete checkouts through the same code.
 */
export interface ProviderEvent {
  /** `evt_…`: stored once in the inbox, so a redelivery changes nothing. */
  id: string;
  type:
    | "payment_intent.succeeded"
    | "payment_intent.payment_failed"
    | "payment_intent.requires_action"
    | "payment_intent.canceled"
    | "charge.refunded"
    | DisputeEventType;
  /** Epoch ms. */
  created: number;
  /** The payment as of the event. */
  payment: Payment;
}

/** Counts what one logical call cost: tries made (1 plus retries) and time spent, for checkout's report. */
export interface CallStats {
  attempts: number;
  retries: number;
  latencyMs: number;
}

export const newCallStats = (): CallStats => ({ attempts: 0, retries: 0, latencyMs: 0 });

export interface PaymentProvider {
  readonly name: "stripe" | "sandbox";
  /** Creates (and, with `paymentMethod`, confirms) a payment. A decline is a Payment with `lastError`, not a throw. */
  create(input: CreatePayment, stats?: CallStats): Promise<Payment>;
  retrieve(id: string, stats?: CallStats): Promise<Payment>;
  /** Confirms with a method, or completes a pending 3-D Secure step (sandbox), idempotently. */
  confirm(
    id: string,
    input: { paymentMethod?: string | undefined; idempotencyKey: string },
    stats?: CallStats,
  ): Promise<Payment>;
  /** Cancels a payment that has not succeeded (an abandoned checkout). */
  cancel(id: string, input: { idempotencyKey: string }, stats?: CallStats): Promise<Payment>;
  /** Refunds all of a succeeded payment, or `amount` of it. */
  refund(
    id: string,
    input: {
      amount?: number | undefined;
      reason?: string | undefined;
      idempotencyKey: string;
      metadata?: Record<string, string>;
      /**
       * A destination charge's refund: take the refunded share back from the connected account and
       * return the platform fee in proportion (Stripe's `reverse_transfer` and `refund_application_fee`).
       */
      reverseTransfer?: boolean | undefined;
    },
    stats?: CallStats,
  ): Promise<Refund>;
  /** Every dispute on the payment, as the provider sees them now (newest first). */
  disputes(paymentId: string, stats?: CallStats): Promise<Dispute[]>;
  /**
   * Providers that bill renewals themselves (Stripe Billing): a membership's checkout starts the
   * subscription, and its answer is the first invoice's payment (with `subscription` set). The sandbox
   * has none of these: its own renewal engine bills (src/subscriptions/renewals.ts).
   */
  createSubscription?(input: CreateSubscription, stats?: CallStats): Promise<Payment>;
  /** The subscription as the provider holds it now: events are re-read where their order matters. */
  retrieveSubscription?(id: string, stats?: CallStats): Promise<BillingSubscription>;
  /** The invoice a payment paid, if any (a refund or dispute of a renewal's charge names only the payment). */
  invoiceOfPayment?(paymentId: string, stats?: CallStats): Promise<BillingInvoice | null>;
  /** A member's or creator's change: cancel at period end (or undo it), the card renewals use. */
  updateSubscription?(
    id: string,
    input: { cancelAtPeriodEnd?: boolean; paymentMethod?: string; idempotencyKey: string },
    stats?: CallStats,
  ): Promise<BillingSubscription>;
  /** The payment that paid an invoice (its PaymentIntent), if any. */
  paymentOfInvoice?(invoiceId: string, stats?: CallStats): Promise<string | null>;
  /** Ends the subscription now: nothing more is billed. Already canceled answers it as it is. */
  cancelSubscription?(
    id: string,
    input: { idempotencyKey: string },
    stats?: CallStats,
  ): Promise<BillingSubscription>;

  /** Stripe Connect: connected accounts, onboarding links and transfers (absent: no Connect). */
  readonly connect?: ConnectProvider;
}

/** A connected account's readiness, as Stripe's Account object reports it. */
export interface ConnectedAccount {
  /** `acct_…` */
  id: string;
  type: "express" | "standard";
  chargesEnabled: boolean;
  payoutsEnabled: boolean;
  detailsSubmitted: boolean;
  /** `requirements.currently_due` */
  requirementsDue: string[];
  /** `requirements.disabled_reason` */
  disabledReason: string | null;
  metadata: Record<string, string>;
}

export interface ConnectProvider {
  /** Creates an Express or Standard account (`POST /v1/accounts`), idempotently. */
  createAccount(
    input: {
      type: "express" | "standard";
      email?: string | undefined;
      country?: string | undefined;
      metadata: Record<string, string>;
      idempotencyKey: string;
    },
    stats?: CallStats,
  ): Promise<ConnectedAccount>;
  retrieveAccount(id: string, stats?: CallStats): Promise<ConnectedAccount>;
  /** An onboarding link (`POST /v1/account_links`, type `account_onboarding`): single-use, expires in minutes. */
  createAccountLink(
    input: { account: string; refreshUrl: string; returnUrl: string },
    stats?: CallStats,
  ): Promise<{ url: string; expiresAt: number }>;
  /**
   * Takes `amount` of a destination charge's transfer back from the account (a dispute):
   * `POST /v1/transfers/{transfer}/reversals`. Answers the reversal's id.
   */
  reverseTransfer(
    input: { paymentId: string; amount: number; idempotencyKey: string; metadata: Record<string, string> },
    stats?: CallStats,
  ): Promise<{ id: string; amount: number }>;
  /**
   * Sends `amount` to the account again, funded by the charge (a dispute won): `POST /v1/transfers`
   * with `source_transaction`. Answers the transfer's id.
   */
  transfer(
    input: {
      account: string;
      amount: number;
      currency: string;
      paymentId: string;
      idempotencyKey: string;
      metadata: Record<string, string>;
    },
    stats?: CallStats,
  ): Promise<{ id: string }>;
}

/**
 * A provider call that failed outright (not a decline): unreachable after retries, rate limited after
 * retries, or refused as invalid. `retryable` says whether trying again later could succeed.
 */
export class ProviderError extends Error {
  constructor(
    readonly kind: "unavailable" | "rate_limited" | "invalid_request" | "authentication" | "not_found",
    message: string,
    readonly retryable: boolean,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = "ProviderError";
  }
}
