/**
 * Stripe Connect's objects for the fake (stripe-fake-connect.ts): Account, Account Link, Transfer,
 * Transfer Reversal and Application Fee, with the field names, nesting and nulls of Stripe's published
 * example objects, typed against the SDK so a wrong shape fails the check.
 */
import type Stripe from "stripe";
import { stripeId } from "./stripe-fake-objects";
import type { FormObject } from "./stripe-fake-resources";

/** What a new account must still provide before Stripe enables charges and transfers on it. */
const ONBOARDING_DUE = [
  "business_profile.mcc",
  "business_profile.url",
  "external_account",
  "individual.dob.day",
  "individual.first_name",
  "individual.last_name",
  "tos_acceptance.date",
  "tos_acceptance.ip",
];

export const emptyRequirements = (): Stripe.Account.Requirements => ({
  alternatives: [],
  current_deadline: null,
  currently_due: [],
  disabled_reason: null,
  errors: [],
  eventually_due: [],
  past_due: [],
  pending_verification: [],
});

const str = (v: FormObject[string] | undefined) => (typeof v === "string" ? v : undefined);

/**
 * The controller an account ends with: from `type` (the legacy account types map to fixed controller
 * properties), or from `controller` as sent; and the legacy type that configuration amounts to.
 */
function controllerOf(
  type: string | undefined,
  sent: FormObject,
): { controller: Stripe.Account.Controller; type: Stripe.Account.Type } {
  const nested = (key: string) => {
    const v = sent[key];
    return typeof v === "object" ? v : {};
  };
  const dashboard =
    type === "express"
      ? "express"
      : type === "standard"
        ? "full"
        : (str(nested("stripe_dashboard").type) ?? "full");
  const payer =
    type === "express" ? "application" : type === "standard" ? "account" : str(nested("fees").payer);
  const losses =
    type === "express" ? "application" : type === "standard" ? "stripe" : str(nested("losses").payments);
  const controller: Stripe.Account.Controller = {
    type: "application",
    is_controller: true,
    stripe_dashboard: { type: dashboard as Stripe.Account.Controller.StripeDashboard.Type },
    fees: { payer: (payer ?? "account") as Stripe.Account.Controller.Fees.Payer },
    losses: { payments: (losses ?? "stripe") as Stripe.Account.Controller.Losses.Payments },
    requirement_collection: (str(sent.requirement_collection) ??
      "stripe") as Stripe.Account.Controller.RequirementCollection,
  };
  const legacy: Stripe.Account.Type =
    type === "custom"
      ? "custom"
      : dashboard === "express"
        ? "express"
        : dashboard === "full"
          ? "standard"
          : "none";
  return { controller, type: legacy };
}

export function accountObject(input: {
  type: string | undefined;
  controller: FormObject;
  country: string;
  email: string | null;
  metadata: Record<string, string>;
  /** Capabilities requested at creation (`capabilities[transfers][requested]=true`). */
  requested: string[];
  created: number;
}): Stripe.Account {
  const id = stripeId("acct", 16);
  const { controller, type } = controllerOf(input.type, input.controller);
  const capabilities: Stripe.Account.Capabilities = Object.fromEntries(
    input.requested.map((name) => [name, "inactive"]),
  );
  return {
    id,
    object: "account",
    business_profile: {
      annual_revenue: null,
      estimated_worker_count: null,
      mcc: null,
      minority_owned_business_designation: null,
      name: null,
      product_description: null,
      specified_commercial_transactions_act_url: null,
      support_address: null,
      support_email: null,
      support_phone: null,
      support_url: null,
      url: null,
    },
    business_type: null,
    capabilities,
    charges_enabled: false,
    controller,
    country: input.country,
    created: input.created,
    default_currency: "usd",
    details_submitted: false,
    email: input.email,
    external_accounts: {
      object: "list",
      data: [],
      has_more: false,
      url: `/v1/accounts/${id}/external_accounts`,
    },
    future_requirements: emptyRequirements(),
    metadata: input.metadata,
    payouts_enabled: false,
    requirements: {
      ...emptyRequirements(),
      currently_due: [...ONBOARDING_DUE],
      eventually_due: [...ONBOARDING_DUE],
      disabled_reason: "requirements.past_due",
    },
    settings: null,
    tos_acceptance: { date: null, ip: null, user_agent: null },
    type,
  };
}

/** An onboarding link: single-use, valid for five minutes. */
export function accountLinkObject(account: string, created: number): Stripe.AccountLink {
  return {
    object: "account_link",
    created,
    expires_at: created + 300,
    url: `https://connect.stripe.com/setup/e/${account}/${stripeId("x", 12).slice(2)}`,
  };
}

export function transferObject(input: {
  amount: number;
  currency: string;
  destination: string;
  sourceTransaction: string | null;
  metadata: Record<string, string>;
  created: number;
}): Stripe.Transfer {
  const id = stripeId("tr");
  return {
    id,
    object: "transfer",
    amount: input.amount,
    amount_reversed: 0,
    balance_transaction: stripeId("txn"),
    created: input.created,
    currency: input.currency,
    description: null,
    destination: input.destination,
    destination_payment: stripeId("py", 14),
    livemode: false,
    metadata: input.metadata,
    reversals: { object: "list", data: [], has_more: false, url: `/v1/transfers/${id}/reversals` },
    reversed: false,
    source_transaction: input.sourceTransaction,
    source_type: "card",
    transfer_group: null,
  };
}

export function reversalObject(
  transfer: Stripe.Transfer,
  input: { amount: number; created: number; metadata: Record<string, string>; sourceRefund: string | null },
): Stripe.TransferReversal {
  return {
    id: stripeId("trr"),
    object: "transfer_reversal",
    amount: input.amount,
    balance_transaction: stripeId("txn"),
    created: input.created,
    currency: transfer.currency,
    destination_payment_refund: stripeId("pyr", 14),
    metadata: input.metadata,
    source_refund: input.sourceRefund,
    transfer: transfer.id,
  };
}

export function applicationFeeObject(input: {
  account: string;
  amount: number;
  charge: Stripe.Charge;
  created: number;
}): Stripe.ApplicationFee {
  const id = stripeId("fee");
  return {
    id,
    object: "application_fee",
    account: input.account,
    amount: input.amount,
    amount_refunded: 0,
    application: "ca_fakeplatform",
    balance_transaction: stripeId("txn"),
    charge: input.charge.id,
    created: input.created,
    currency: input.charge.currency,
    fee_source: { charge: input.charge.id, type: "charge" },
    livemode: false,
    originating_transaction: null,
    refunded: false,
    refunds: { object: "list", data: [], has_more: false, url: `/v1/application_fees/${id}/refunds` },
  };
}
