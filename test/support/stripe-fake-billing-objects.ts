/**
 * Stripe Billing's objects for the fake (stripe-fake-billing.ts): Customer, Product, Subscription (with
 * its item, price and plan) and Invoice (with its subscription line), with the field names, nesting and
 * nulls of Stripe's published example objects, typed against the SDK so a wrong shape fails the check.
 */
import type Stripe from "stripe";
import { stripeId } from "./stripe-fake-objects";

export function customerObject(input: {
  email: string | null;
  metadata: Record<string, string>;
  created: number;
}): Stripe.Customer {
  return {
    id: stripeId("cus", 14),
    object: "customer",
    address: null,
    balance: 0,
    created: input.created,
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    discount: null,
    email: input.email,
    invoice_prefix: stripeId("x", 7).slice(2).toUpperCase(),
    invoice_settings: {
      custom_fields: null,
      default_payment_method: null,
      footer: null,
      rendering_options: null,
    },
    livemode: false,
    metadata: input.metadata,
    name: null,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: "none",
    test_clock: null,
  };
}

export function productObject(input: {
  id: string;
  name: string;
  metadata: Record<string, string>;
  created: number;
}): Stripe.Product {
  return {
    id: input.id,
    object: "product",
    active: true,
    created: input.created,
    default_price: null,
    description: null,
    images: [],
    livemode: false,
    marketing_features: [],
    metadata: input.metadata,
    name: input.name,
    package_dimensions: null,
    shippable: null,
    statement_descriptor: null,
    tax_code: null,
    tax_details: null,
    type: "service",
    unit_label: null,
    updated: input.created,
    url: null,
  };
}

export interface NewSubscription {
  customer: string;
  product: string;
  currency: string;
  amount: number;
  interval: Stripe.Price.Recurring.Interval;
  count: number;
  /** The first period, in seconds. */
  start: number;
  end: number;
  metadata: Record<string, string>;
}

export function subscriptionObject(input: NewSubscription): Stripe.Subscription {
  const id = stripeId("sub");
  const price: Stripe.Price = {
    id: stripeId("price"),
    object: "price",
    active: false,
    billing_scheme: "per_unit",
    created: input.start,
    currency: input.currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: null,
    metadata: {},
    nickname: null,
    product: input.product,
    recurring: {
      interval: input.interval,
      interval_count: input.count,
      meter: null,
      trial_period_days: null,
      usage_type: "licensed",
    },
    tax_behavior: "unspecified",
    tiers_mode: null,
    transform_quantity: null,
    type: "recurring",
    unit_amount: input.amount,
    unit_amount_decimal: null,
  };
  const plan: Stripe.Plan = {
    id: price.id,
    object: "plan",
    active: false,
    amount: input.amount,
    amount_decimal: null,
    billing_scheme: "per_unit",
    created: input.start,
    currency: input.currency,
    interval: input.interval,
    interval_count: input.count,
    livemode: false,
    metadata: {},
    meter: null,
    nickname: null,
    product: input.product,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: null,
    usage_type: "licensed",
  };
  const item: Stripe.SubscriptionItem = {
    id: stripeId("si", 14),
    object: "subscription_item",
    billing_thresholds: null,
    created: input.start,
    current_period_end: input.end,
    current_period_start: input.start,
    current_trial: null,
    discounts: [],
    metadata: {},
    plan,
    price,
    quantity: 1,
    subscription: id,
    tax_rates: [],
  };
  return {
    id,
    object: "subscription",
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: input.start,
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: null, type: "classic" },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
    collection_method: "charge_automatically",
    created: input.start,
    currency: input.currency,
    customer: input.customer,
    customer_account: null,
    days_until_due: null,
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    ended_at: null,
    invoice_settings: {
      account_tax_ids: null,
      custom_fields: null,
      description: null,
      footer: null,
      issuer: { type: "self" },
    },
    items: {
      object: "list",
      data: [item],
      has_more: false,
      url: `/v1/subscription_items?subscription=${id}`,
    },
    latest_invoice: null,
    livemode: false,
    managed_payments: null,
    metadata: input.metadata,
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: {
      payment_method_options: null,
      payment_method_types: ["card"],
      save_default_payment_method: "on_subscription",
    },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: input.start,
    status: "incomplete",
    test_clock: null,
    transfer_data: null,
    trial_end: null,
    trial_settings: {
      end_behavior: { billing_cycle_anchor: null, missing_payment_method: "create_invoice" },
    },
    trial_start: null,
  };
}

/** A finalized (open) invoice for the subscription's current period, its one line that period's price. */
export function invoiceObject(
  sub: Stripe.Subscription,
  item: Stripe.SubscriptionItem,
  input: { reason: Stripe.Invoice.BillingReason; created: number },
): Stripe.Invoice {
  const id = stripeId("in");
  const amount = item.price.unit_amount ?? 0;
  const details = { metadata: { ...sub.metadata }, subscription: sub.id };
  const line: Stripe.InvoiceLineItem = {
    id: stripeId("il"),
    object: "line_item",
    amount,
    currency: sub.currency,
    description: `1 × ${String(item.price.product)}`,
    discount_amounts: [],
    discountable: true,
    discounts: [],
    invoice: id,
    livemode: false,
    metadata: { ...sub.metadata },
    parent: {
      invoice_item_details: null,
      subscription_item_details: {
        invoice_item: null,
        proration: false,
        proration_details: { credited_items: null },
        subscription: sub.id,
        subscription_item: item.id,
      },
      type: "subscription_item_details",
    },
    period: { end: item.current_period_end, start: item.current_period_start },
    pretax_credit_amounts: [],
    pricing: {
      price_details: { price: item.price.id, product: String(item.price.product) },
      type: "price_details",
      unit_amount_decimal: null,
    },
    quantity: 1,
    quantity_decimal: null,
    subscription: sub.id,
    subtotal: amount,
    taxes: [],
  };
  return {
    id,
    object: "invoice",
    account_country: "US",
    account_name: null,
    account_tax_ids: null,
    amount_due: amount,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: amount,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null,
    billing_reason: input.reason,
    collection_method: "charge_automatically",
    created: input.created,
    currency: sub.currency,
    custom_fields: null,
    customer: sub.customer,
    customer_account: null,
    customer_address: null,
    customer_email: null,
    customer_name: null,
    customer_phone: null,
    customer_shipping: null,
    customer_tax_exempt: "none",
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    due_date: null,
    effective_at: input.created,
    ending_balance: 0,
    footer: null,
    from_invoice: null,
    issuer: { type: "self" },
    last_finalization_error: null,
    latest_revision: null,
    lines: { object: "list", data: [line], has_more: false, url: `/v1/invoices/${id}/lines` },
    livemode: false,
    metadata: {},
    next_payment_attempt: null,
    number: null,
    on_behalf_of: null,
    parent: { quote_details: null, subscription_details: details, type: "subscription_details" },
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: ["card"] },
    // For a subscription's invoice Stripe sets these to the period before (for usage billed in arrears).
    period_end: item.current_period_start,
    period_start: item.current_period_start,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: "open",
    status_transitions: {
      finalized_at: input.created,
      marked_uncollectible_at: null,
      paid_at: null,
      voided_at: null,
    },
    subtotal: amount,
    subtotal_excluding_tax: amount,
    test_clock: null,
    total: amount,
    total_discount_amounts: [],
    total_excluding_tax: amount,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: null,
  };
}
