/**
 * Stripe Connect for the Stripe provider (stripe.ts): destination charges' parameters and their mapping
 * back, the refund that takes a destination charge's money back from the account, and the Connect calls
 * themselves (accounts, onboarding links, transfer reversals and transfers), each through the same retry
 * loop and error mapping as every other call.
 *
 * How Stripe moves a destination charge's money with `application_fee_amount`: the whole charge is
 * transferred to the account (the `tr_…` on the charge) and the fee is collected back from it as an
 * application fee (`fee_…`), so the account nets `amount - fee`. A refund with `reverse_transfer`
 * reverses that transfer in proportion to the refund, and `refund_application_fee` returns the same
 * share of the fee to the account: what the account loses is `reversal - feeRefunded` (reversalOf).
 */
import type Stripe from "stripe";
import {
  type CallStats,
  type ConnectedAccount,
  type ConnectProvider,
  type CreatePayment,
  type Payment,
  ProviderError,
  type Refund,
} from "./provider";
import type { retrying } from "./stripe-retries";

type Retrying = ReturnType<typeof retrying>;

/**
 * A destination charge's parameters, and none at all without a destination (existing requests stay
 * byte-identical). A zero fee is not sent: there is then no application fee, only the transfer.
 */
export function destinationParams(
  destination: CreatePayment["destination"],
): Pick<Stripe.PaymentIntentCreateParams, "transfer_data" | "application_fee_amount"> {
  if (destination === undefined) return {};
  return {
    transfer_data: { destination: destination.account },
    ...(destination.applicationFeeAmount > 0
      ? { application_fee_amount: destination.applicationFeeAmount }
      : {}),
  };
}

/**
 * A subscription's destination: every invoice's payment is a destination charge to the account.
 * Stripe takes the fee of a subscription as a percent of each invoice (`application_fee_percent`, a
 * decimal with at most two places), not an amount: the creator's rate in basis points / 100 when the
 * destination carries it, else derived back from the first payment's fee. Stripe computes each invoice's
 * fee from it: read the fee actually taken from the payment's `destination`, not from the request.
 */
export function subscriptionDestinationParams(
  destination: CreatePayment["destination"],
  amount: number,
): Pick<Stripe.SubscriptionCreateParams, "transfer_data" | "application_fee_percent"> {
  if (destination === undefined) return {};
  const bps =
    destination.applicationFeeBps ??
    (amount > 0 ? Math.round((destination.applicationFeeAmount * 10_000) / amount) : 0);
  return {
    transfer_data: { destination: destination.account },
    ...(bps > 0 ? { application_fee_percent: bps / 100 } : {}),
  };
}

/** The destination a PaymentIntent names; the transfer is known from an expanded charge only. */
export function destinationOf(
  pi: Stripe.PaymentIntent,
  charge: Stripe.Charge | null,
): Payment["destination"] {
  const account = pi.transfer_data?.destination;
  if (account === undefined || account === null) return null;
  const transfer = charge?.transfer;
  return {
    account: typeof account === "string" ? account : account.id,
    applicationFeeAmount: pi.application_fee_amount ?? 0,
    transfer: transfer === undefined || transfer === null ? null : idOf(transfer),
  };
}

/**
 * A refund's extra parameters when it takes the money back from the account: the proportional
 * transfer reversal and fee refund, with the reversal and the charge's application fee expanded so the
 * answer says what moved. Without `reverseTransfer`, none (the request stays as it was).
 */
export function reversingRefundParams(
  reverseTransfer: boolean | undefined,
): Pick<Stripe.RefundCreateParams, "reverse_transfer" | "refund_application_fee" | "expand"> {
  if (reverseTransfer !== true) return {};
  return {
    reverse_transfer: true,
    refund_application_fee: true,
    expand: ["transfer_reversal", "charge.application_fee"],
  };
}

/**
 * What a reversing refund moved, in the provider contract's terms (what the sandbox reports too): the
 * creator's share taken back (`transferReversal.amount`) and the fee returned (`feeRefunded`), which sum
 * to the refund. Stripe's own reversal is gross: it reverses the refunded share of the whole transfer
 * (the whole charge), while the fee refund goes back to the account, so the account loses
 * `reversal - feeRefunded`, and that is what is reported (the reversal's id is Stripe's `trr_…`).
 *
 * The fee refund is the application fee's newest refund: Stripe makes it in the same request as this
 * refund (the charge is locked meanwhile), and the expanded fee in the answer is as of that request, a
 * replay included.
 */
export function reversalOf(refund: Stripe.Refund): Pick<Refund, "transferReversal" | "feeRefunded"> {
  const reversal = refund.transfer_reversal;
  const charge = typeof refund.charge === "object" ? refund.charge : null;
  const fee = charge !== null && typeof charge.application_fee === "object" ? charge.application_fee : null;
  const feeRefunded = fee?.refunds.data[0]?.amount ?? 0;
  // Always expanded by reversingRefundParams; unexpanded, only the refund's own amount is known.
  const gross = reversal === null ? 0 : typeof reversal === "string" ? refund.amount : reversal.amount;
  return {
    transferReversal: reversal === null ? null : { id: idOf(reversal), amount: gross - feeRefunded },
    feeRefunded,
  };
}

/**
 * An Express account as Stripe now recommends creating one, with controller properties rather than the
 * deprecated `type`: the Express Dashboard, the platform paying Stripe's fees and bearing losses, Stripe
 * collecting the requirements. A Standard account: the full Dashboard, its own fees and Stripe's loss
 * liability. Both request card payments and transfers (a destination charge needs `transfers`).
 */
const CONTROLLERS: Record<ConnectedAccount["type"], Stripe.AccountCreateParams.Controller> = {
  express: {
    stripe_dashboard: { type: "express" },
    fees: { payer: "application" },
    losses: { payments: "application" },
    requirement_collection: "stripe",
  },
  standard: {
    stripe_dashboard: { type: "full" },
    fees: { payer: "account" },
    losses: { payments: "stripe" },
    requirement_collection: "stripe",
  },
};

export function connectedAccountFromStripe(account: Stripe.Account): ConnectedAccount {
  const dashboard = account.controller?.stripe_dashboard?.type;
  const express = dashboard === "express" || (dashboard === undefined && account.type === "express");
  return {
    id: account.id,
    type: express ? "express" : "standard",
    chargesEnabled: account.charges_enabled,
    payoutsEnabled: account.payouts_enabled,
    detailsSubmitted: account.details_submitted,
    requirementsDue: account.requirements?.currently_due ?? [],
    disabledReason: account.requirements?.disabled_reason ?? null,
    metadata: { ...account.metadata },
  };
}

export function connectMethods(stripe: Stripe, withRetries: Retrying): ConnectProvider {
  /** The charge of a succeeded payment; a destination charge's names its transfer. */
  const chargeOf = (paymentId: string, stats: CallStats | undefined) =>
    withRetries(stats, () => stripe.paymentIntents.retrieve(paymentId, { expand: ["latest_charge"] })).then(
      (pi) => {
        const charge = typeof pi.latest_charge === "object" ? pi.latest_charge : null;
        if (charge === null || pi.status !== "succeeded") {
          throw new ProviderError("invalid_request", `${paymentId} has no successful charge.`, false, null);
        }
        return charge;
      },
    );

  return {
    createAccount: (input, stats) =>
      withRetries(stats, () =>
        stripe.accounts
          .create(
            {
              controller: CONTROLLERS[input.type],
              ...(input.country === undefined ? {} : { country: input.country }),
              ...(input.email === undefined ? {} : { email: input.email }),
              capabilities: { card_payments: { requested: true }, transfers: { requested: true } },
              metadata: input.metadata,
            },
            { idempotencyKey: input.idempotencyKey },
          )
          .then(connectedAccountFromStripe),
      ),

    retrieveAccount: (id, stats) =>
      withRetries(stats, () => stripe.accounts.retrieve(id).then(connectedAccountFromStripe)),

    // Single-use and short-lived, so no key: a retry simply makes another link.
    createAccountLink: (input, stats) =>
      withRetries(stats, () =>
        stripe.accountLinks
          .create({
            account: input.account,
            type: "account_onboarding",
            refresh_url: input.refreshUrl,
            return_url: input.returnUrl,
          })
          .then((link) => ({ url: link.url, expiresAt: link.expires_at * 1000 })),
      ),

    // The fee stays with the platform here: a dispute's loss is the creator's share, taken back.
    reverseTransfer: async (input, stats) => {
      const charge = await chargeOf(input.paymentId, stats);
      const transfer = charge.transfer;
      if (transfer === undefined || transfer === null) {
        const message = `${input.paymentId} is not a destination charge: it has no transfer to reverse.`;
        throw new ProviderError("invalid_request", message, false, null);
      }
      return withRetries(stats, () =>
        stripe.transfers
          .createReversal(
            idOf(transfer),
            { amount: input.amount, metadata: input.metadata },
            { idempotencyKey: input.idempotencyKey },
          )
          .then((reversal) => ({ id: reversal.id, amount: reversal.amount })),
      );
    },

    // Funded by the charge (`source_transaction`), so it never waits on the platform's balance.
    transfer: async (input, stats) => {
      const charge = await chargeOf(input.paymentId, stats);
      return withRetries(stats, () =>
        stripe.transfers
          .create(
            {
              amount: input.amount,
              currency: input.currency.toLowerCase(),
              destination: input.account,
              source_transaction: charge.id,
              metadata: input.metadata,
            },
            { idempotencyKey: input.idempotencyKey },
          )
          .then((transfer) => ({ id: transfer.id })),
      );
    },
  };
}

const idOf = (ref: string | { id: string }) => (typeof ref === "string" ? ref : ref.id);
