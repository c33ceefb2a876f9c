/**
 * The test cards the sandbox provider (sandbox.ts) follows, as Stripe's test mode does:
 *
 *   4242 4242 4242 4242  succeeds
 *   4000 0000 0000 0002  declined (generic_decline)
 *   4000 0000 0000 9995  declined (insufficient_funds)
 *   4000 0027 6000 3184  requires 3-D Secure; succeeds once confirmed again
 *   4000 0000 0000 0259  succeeds, then the bank disputes it as fraudulent (a chargeback)
 *   4000 0000 0000 0341  can be saved, but every charge is declined (a renewal's card that starts failing)
 *
 * Stripe's test tokens for those cards (`pm_card_visa`, …) work too, and any other card is declined as
 * Stripe's test mode declines a real card (`test_mode_live_card`).
 */
import { randomToken } from "../lib/crypto";
import type { PaymentFailure, PaymentStatus, ProviderEvent } from "./provider";

export type Outcome =
  | { kind: "succeed" }
  | { kind: "dispute" }
  | { kind: "authenticate" }
  | { kind: "decline"; failure: PaymentFailure };

const decline = (declineCode: string, message: string): Outcome => ({
  kind: "decline",
  failure: { code: "card_declined", declineCode, message },
});

const sandboxCards: Record<string, Outcome> = {
  "4242424242424242": { kind: "succeed" },
  "4000000000000002": decline("generic_decline", "Your card was declined."),
  "4000000000009995": decline("insufficient_funds", "Your card has insufficient funds."),
  "4000002760003184": { kind: "authenticate" },
  "4000000000000259": { kind: "dispute" },
  "4000000000000341": decline("generic_decline", "Your card was declined."),
};

const testTokens: Record<string, string> = {
  pm_card_visa: "4242424242424242",
  pm_card_chargeDeclined: "4000000000000002",
  pm_card_visa_chargeDeclined: "4000000000000002",
  pm_card_chargeDeclinedInsufficientFunds: "4000000000009995",
  pm_card_authenticationRequired: "4000002760003184",
  pm_card_createDispute: "4000000000000259",
  pm_card_chargeCustomerFail: "4000000000000341",
};

export const cardOf = (method: string): string => testTokens[method] ?? method.replace(/[\s-]/g, "");

export const outcomeOf = (card: string): Outcome =>
  sandboxCards[card] ??
  decline("test_mode_live_card", "Your card was declined: the sandbox accepts only Stripe's test cards.");

/** What confirming with `method` does, decided by the test card alone: the row's changes and event. */
export function chargeOutcome(method: string): {
  changes: { status: PaymentStatus; paymentMethod: string; latestCharge?: string; lastError: string | null };
  event: ProviderEvent["type"];
  dispute: boolean;
} {
  const card = cardOf(method);
  const outcome = outcomeOf(card);
  if (outcome.kind === "succeed" || outcome.kind === "dispute") {
    const latestCharge = `ch_sbx_${randomToken(24)}`;
    return {
      changes: { status: "succeeded", paymentMethod: card, latestCharge, lastError: null },
      event: "payment_intent.succeeded",
      dispute: outcome.kind === "dispute",
    };
  }
  if (outcome.kind === "authenticate") {
    return {
      changes: { status: "requires_action", paymentMethod: card, lastError: null },
      event: "payment_intent.requires_action",
      dispute: false,
    };
  }
  return {
    changes: {
      status: "requires_payment_method",
      paymentMethod: card,
      lastError: JSON.stringify(outcome.failure),
    },
    event: "payment_intent.payment_failed",
    dispute: false,
  };
}
