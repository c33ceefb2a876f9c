/**
 * Stripe Billing for the fake account (stripe-fake-resources.ts): Customers, Products, Subscriptions
 * (one item with inline `price_data`, `payment_behavior: default_incomplete`), their Invoices and the
 * InvoicePayments linking each invoice to its PaymentIntent, shaped after Stripe's published example
 * objects for this API version (a subscription's period on its item, an invoice's subscription under
 * `parent.subscription_details`, the billed period on its line). The account tells it when a
 * PaymentIntent succeeds or fails; an invoice's payment then moves the invoice and its subscription and
 * emits what Stripe would: `invoice.paid`, `invoice.payment_failed`, `customer.subscription.updated`.
 *
 * Test-only moves: `renew` (the period ends: a new invoice, charged off-session with the saved card, or
 * with a card that now declines), `retry` (Smart Retries charging the open invoice again) and `cancel`.
 */
import type Stripe from "stripe";
import {
  customerObject,
  invoiceObject,
  productObject,
  subscriptionObject,
} from "./stripe-fake-billing-objects";
import type { BillingEventType, Reply } from "./stripe-fake-objects";
import { invalidRequest, noSuch, seconds, stripeId } from "./stripe-fake-objects";
import type { FormObject, FormValue, Handler, RequestContext } from "./stripe-fake-resources";

export interface BillingCore {
  now: () => number;
  emit: (
    type: BillingEventType,
    object: Stripe.Subscription | Stripe.Invoice,
    ctx: RequestContext | null,
  ) => void;
  invoiceIntent: (input: {
    amount: number;
    currency: string;
    customer: string;
    destination: { account: string; fee: number | null } | null;
  }) => Stripe.PaymentIntent;
  chargeSaved: (piId: string, method: string) => void;
  paymentMethodFrom: (token: string) => string | Reply;
  /** Why a destination would be refused (stripe-fake-connect.ts), or null. */
  destinationError: (
    destination: string | undefined,
    fee: string | undefined,
    amount: number,
    params: { destination: string; fee: string },
  ) => Reply | null;
}

const INTERVALS = ["day", "week", "month", "year"];
const ok = (body: unknown): Reply => ({ status: 200, body: structuredClone(body) });
const text = (v: FormValue | undefined) => (typeof v === "string" ? v : undefined);
const record = (v: FormValue | undefined): Record<string, string> =>
  typeof v === "object"
    ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === "string"))
    : {};
const list = (v: FormValue | undefined): string[] =>
  typeof v === "object" ? Object.values(v).filter((x): x is string => typeof x === "string") : [];

/** The end of a period of `count` `interval`s from `start` (seconds), months clamped as Stripe does. */
function periodEnd(start: number, interval: string, count: number): number {
  const day = 24 * 3600;
  if (interval === "day") return start + count * day;
  if (interval === "week") return start + count * 7 * day;
  const d = new Date(start * 1000);
  const months = count * (interval === "year" ? 12 : 1);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months + 1, 0)).getUTCDate();
  const end = new Date(d);
  end.setUTCDate(1);
  end.setUTCMonth(d.getUTCMonth() + months);
  end.setUTCDate(Math.min(d.getUTCDate(), last));
  return Math.floor(end.getTime() / 1000);
}

export function createFakeBilling(core: BillingCore) {
  const customers = new Map<string, Stripe.Customer>();
  const products = new Map<string, Stripe.Product>();
  const subscriptions = new Map<string, Stripe.Subscription>();
  const invoices = new Map<string, Stripe.Invoice>();
  /** PaymentIntent → its invoice (InvoicePayments). */
  const invoiceOfIntent = new Map<string, string>();
  const intentOfInvoice = new Map<string, string>();

  const stamp = () => seconds(core.now());
  const item = (sub: Stripe.Subscription) => {
    const first = sub.items.data[0];
    if (first === undefined) throw new Error(`${sub.id} has no item`);
    return first;
  };
  const subscriptionOf = (invoice: Stripe.Invoice) => {
    const ref = invoice.parent?.subscription_details?.subscription;
    return typeof ref === "string" ? subscriptions.get(ref) : ref;
  };

  /** Finalizes an invoice for the subscription's current period, with its PaymentIntent. */
  function invoiceFor(
    sub: Stripe.Subscription,
    reason: Stripe.Invoice.BillingReason,
    ctx: RequestContext | null,
  ) {
    const it = item(sub);
    const invoice = invoiceObject(sub, it, { reason, created: stamp() });
    invoices.set(invoice.id, invoice);
    const destination = sub.transfer_data?.destination;
    const percent = sub.application_fee_percent;
    const pi = core.invoiceIntent({
      amount: invoice.amount_due,
      currency: invoice.currency,
      customer: String(sub.customer),
      // Stripe's fee on each invoice is the subscription's percent of it, rounded to a minor unit.
      destination:
        destination === undefined
          ? null
          : {
              account: typeof destination === "string" ? destination : destination.id,
              fee: percent === null ? null : Math.round((invoice.amount_due * percent) / 100),
            },
    });
    invoiceOfIntent.set(pi.id, invoice.id);
    intentOfInvoice.set(invoice.id, pi.id);
    sub.latest_invoice = invoice.id;
    core.emit("invoice.created", invoice, ctx);
    core.emit("invoice.finalized", invoice, ctx);
    return { invoice, pi };
  }

  function createCustomer(params: FormObject): Reply {
    const customer = customerObject({
      email: text(params.email) ?? null,
      metadata: record(params.metadata),
      created: stamp(),
    });
    customers.set(customer.id, customer);
    return ok(customer);
  }

  function createProduct(params: FormObject): Reply {
    const name = text(params.name);
    if (name === undefined)
      return invalidRequest("Missing required param: name.", { code: "parameter_missing", param: "name" });
    const id = text(params.id) ?? stripeId("prod", 14);
    if (products.has(id)) {
      return invalidRequest(`Product already exists.`, { code: "resource_already_exists", param: "id" });
    }
    const product = productObject({ id, name, metadata: record(params.metadata), created: stamp() });
    products.set(id, product);
    return ok(product);
  }

  function createSubscription(params: FormObject, ctx: RequestContext): Reply {
    const customer = text(params.customer) ?? "";
    if (!customers.has(customer)) return noSuch("customer", customer, "customer");
    if (text(params.payment_behavior) !== "default_incomplete") {
      return invalidRequest("The fake serves payment_behavior=default_incomplete only.", {
        param: "payment_behavior",
      });
    }
    const items = params.items;
    const first = typeof items === "object" ? items["0"] : undefined;
    const priceData = typeof first === "object" ? first.price_data : undefined;
    if (typeof priceData !== "object" || typeof priceData.recurring !== "object") {
      return invalidRequest("Missing required param: items[0][price_data].", {
        param: "items[0][price_data]",
      });
    }
    const product = text(priceData.product) ?? "";
    if (!products.has(product)) return noSuch("product", product, "items[0][price_data][product]");
    const interval = text(priceData.recurring.interval) ?? "";
    const count = Number(text(priceData.recurring.interval_count) ?? 1);
    const amount = Number(text(priceData.unit_amount));
    if (!INTERVALS.includes(interval) || !Number.isInteger(count) || count < 1) {
      return invalidRequest("Invalid recurring interval.", { param: "items[0][price_data][recurring]" });
    }
    if (!Number.isInteger(amount) || amount < 0) {
      return invalidRequest("Invalid integer", { code: "parameter_invalid_integer", param: "unit_amount" });
    }
    const transferData = params.transfer_data;
    const destination = typeof transferData === "object" ? text(transferData.destination) : undefined;
    const percentText = text(params.application_fee_percent);
    const percent = percentText === undefined ? null : Number(percentText);
    // Checked on the text: at most two decimal places, as Stripe takes it.
    if (
      percentText !== undefined &&
      !(/^\d{1,3}(\.\d{1,2})?$/.test(percentText) && Number(percentText) <= 100)
    ) {
      return invalidRequest(
        "application_fee_percent must be a decimal between 0 and 100 with at most two decimal places.",
        {
          param: "application_fee_percent",
        },
      );
    }
    if (percent !== null && destination === undefined) {
      return invalidRequest(
        "application_fee_percent needs transfer_data[destination] (or a connected account).",
        {
          param: "application_fee_percent",
        },
      );
    }
    // The destination must be able to take transfers, as for a PaymentIntent; the percent is checked above.
    const refused = core.destinationError(destination, undefined, amount, {
      destination: "transfer_data[destination]",
      fee: "application_fee_percent",
    });
    if (refused !== null) return refused;
    const start = stamp();
    const sub = subscriptionObject({
      customer,
      product,
      currency: (text(priceData.currency) ?? "").toLowerCase(),
      amount,
      interval: interval as Stripe.Price.Recurring.Interval,
      count,
      start,
      end: periodEnd(start, interval, count),
      metadata: record(params.metadata),
    });
    if (destination !== undefined) {
      Object.assign(sub, {
        transfer_data: { amount_percent: null, destination },
        application_fee_percent: percent,
      });
    }
    subscriptions.set(sub.id, sub);
    invoiceFor(sub, "subscription_create", ctx);
    core.emit("customer.subscription.created", sub, ctx);
    return render(sub, list(params.expand));
  }

  function invoicePaymentOf(invoice: Stripe.Invoice, expandInvoice: boolean): Stripe.InvoicePayment {
    const pi = intentOfInvoice.get(invoice.id) ?? "";
    return {
      id: `inpay_${pi.slice(3)}`,
      object: "invoice_payment",
      amount_paid: invoice.amount_paid === 0 ? null : invoice.amount_paid,
      amount_requested: invoice.amount_due,
      created: invoice.created,
      currency: invoice.currency,
      invoice: expandInvoice ? structuredClone(invoice) : invoice.id,
      is_default: true,
      livemode: false,
      payment: { payment_intent: pi, type: "payment_intent" },
      status: invoice.status === "paid" ? "paid" : "open",
      status_transitions: { canceled_at: null, paid_at: invoice.status_transitions.paid_at },
    };
  }

  /** `expand[]`: `latest_invoice` and `latest_invoice.payments` (an includable list). */
  function render(sub: Stripe.Subscription, expand: string[]): Reply {
    const unknown = expand.find((p) => p !== "latest_invoice" && p !== "latest_invoice.payments");
    if (unknown) return invalidRequest(`This property cannot be expanded (${unknown}).`);
    const body = structuredClone(sub);
    const invoice = typeof sub.latest_invoice === "string" ? invoices.get(sub.latest_invoice) : undefined;
    if (invoice !== undefined && expand.length > 0) {
      const payments = expand.includes("latest_invoice.payments")
        ? {
            payments: {
              object: "list" as const,
              data: [invoicePaymentOf(invoice, false)],
              has_more: false,
              url: "/v1/invoice_payments",
            },
          }
        : {};
      body.latest_invoice = { ...structuredClone(invoice), ...payments };
    }
    return ok(body);
  }

  function listInvoicePayments(params: FormObject): Reply {
    const payment = params.payment;
    const pi = typeof payment === "object" ? text(payment.payment_intent) : undefined;
    const invoiceId = text(params.invoice) ?? (pi === undefined ? undefined : invoiceOfIntent.get(pi));
    const invoice = invoiceId === undefined ? undefined : invoices.get(invoiceId);
    const data =
      invoice === undefined ? [] : [invoicePaymentOf(invoice, list(params.expand).includes("data.invoice"))];
    return ok({ object: "list", data, has_more: false, url: "/v1/invoice_payments" });
  }

  /** A subscription's update: cancel at period end (or undo it), its default card. */
  function update(
    sub: Stripe.Subscription,
    params: FormObject,
    ctx: RequestContext | null,
  ): Stripe.Subscription {
    const cancel = text(params.cancel_at_period_end);
    if (cancel !== undefined) sub.cancel_at_period_end = cancel === "true";
    const card = text(params.default_payment_method);
    if (card !== undefined) sub.default_payment_method = card;
    core.emit("customer.subscription.updated", sub, ctx);
    return sub;
  }

  function end(sub: Stripe.Subscription, ctx: RequestContext | null): Stripe.Subscription {
    if (sub.status === "canceled") return sub;
    const at = stamp();
    Object.assign(sub, { status: "canceled", canceled_at: at, ended_at: at, cancel_at_period_end: false });
    core.emit("customer.subscription.deleted", sub, ctx);
    return sub;
  }

  const onSubscription =
    (
      id: string,
      run: (sub: Stripe.Subscription, params: FormObject, ctx: RequestContext) => Reply,
    ): Handler =>
    (params, ctx) => {
      const sub = subscriptions.get(id);
      return sub ? run(sub, params, ctx) : noSuch("subscription", id);
    };

  function route(method: string, path: string): { name: string; handler: Handler | null } {
    const match = /^\/v1\/(customers|products|subscriptions|invoices|invoice_payments)(?:\/([^/]+))?$/.exec(
      path,
    );
    if (match === null) return { name: `${method} ${path}`, handler: null };
    const [, resource, id] = match;
    const name = `${method} /v1/${resource}${id ? "/:id" : ""}`;
    const handlers: Record<string, Handler> = {
      "POST /v1/customers": createCustomer,
      "POST /v1/products": createProduct,
      "POST /v1/subscriptions": createSubscription,
      "GET /v1/subscriptions/:id": onSubscription(id ?? "", (sub, params) =>
        render(sub, list(params.expand)),
      ),
      "POST /v1/subscriptions/:id": onSubscription(id ?? "", (sub, params, ctx) =>
        render(update(sub, params, ctx), list(params.expand)),
      ),
      "DELETE /v1/subscriptions/:id": onSubscription(id ?? "", (sub, params, ctx) =>
        render(end(sub, ctx), list(params.expand)),
      ),
      "GET /v1/invoices/:id": (_params) => {
        const invoice = invoices.get(id ?? "");
        return invoice ? ok(invoice) : noSuch("invoice", id ?? "");
      },
      "GET /v1/invoice_payments": listInvoicePayments,
    };
    return { name, handler: handlers[name] ?? null };
  }

  /**
   * An invoice's PaymentIntent succeeded or failed: the invoice is paid (the subscription active, the
   * card saved as its default) or its attempt failed (a renewal's subscription goes past_due; a first
   * invoice's stays incomplete).
   */
  function settled(pi: Stripe.PaymentIntent, ctx: RequestContext | null): void {
    const invoice = invoices.get(invoiceOfIntent.get(pi.id) ?? "");
    const sub = invoice === undefined ? undefined : subscriptionOf(invoice);
    if (invoice === undefined || sub === undefined || invoice.status !== "open") return;
    const at = stamp();
    invoice.attempted = true;
    invoice.attempt_count += 1;
    if (pi.status === "succeeded") {
      Object.assign(invoice, {
        status: "paid",
        amount_paid: invoice.amount_due,
        amount_remaining: 0,
        next_payment_attempt: null,
      });
      invoice.status_transitions.paid_at = at;
      core.emit("invoice.paid", invoice, ctx);
      core.emit("invoice.payment_succeeded", invoice, ctx);
      const changed = sub.status !== "active" && sub.status !== "canceled";
      sub.default_payment_method =
        typeof pi.payment_method === "string" ? pi.payment_method : sub.default_payment_method;
      if (changed) {
        sub.status = "active";
        core.emit("customer.subscription.updated", sub, ctx);
      }
      return;
    }
    if (pi.status !== "requires_payment_method") return;
    invoice.next_payment_attempt = at + 3 * 24 * 3600;
    core.emit("invoice.payment_failed", invoice, ctx);
    if (sub.status === "active") {
      sub.status = "past_due";
      core.emit("customer.subscription.updated", sub, ctx);
    }
  }

  const get = (subId: string) => {
    const sub = subscriptions.get(subId);
    if (sub === undefined) throw new Error(`no subscription ${subId}`);
    return sub;
  };
  const openIntent = (sub: Stripe.Subscription) => {
    const invoice = typeof sub.latest_invoice === "string" ? invoices.get(sub.latest_invoice) : undefined;
    const pi = invoice === undefined ? undefined : intentOfInvoice.get(invoice.id);
    if (invoice?.status !== "open" || pi === undefined) throw new Error(`${sub.id} has no open invoice`);
    return pi;
  };

  return {
    route,
    settled,
    customers,
    products,
    subscriptions,
    invoices,
    /**
     * The period ends: Stripe moves the subscription to the next period, finalizes its invoice and
     * charges it off-session with the saved card, or with `card` (a test token) standing for a saved
     * card that now behaves so.
     */
    renew(subId: string, options: { card?: string } = {}) {
      const sub = get(subId);
      if (sub.status === "canceled") throw new Error(`${subId} is canceled`);
      const it = item(sub);
      const start = it.current_period_end;
      const unit = it.price.recurring?.interval ?? "month";
      const count = it.price.recurring?.interval_count ?? 1;
      // Periods count from the billing cycle anchor, as Stripe's do, so months never drift.
      let n = 1;
      while (periodEnd(sub.billing_cycle_anchor, unit, n * count) < start) n += 1;
      it.current_period_start = start;
      it.current_period_end = periodEnd(sub.billing_cycle_anchor, unit, (n + 1) * count);
      const { invoice, pi } = invoiceFor(sub, "subscription_cycle", null);
      core.emit("customer.subscription.updated", sub, null);
      const saved = typeof sub.default_payment_method === "string" ? sub.default_payment_method : undefined;
      const method = options.card === undefined ? saved : core.paymentMethodFrom(options.card);
      if (typeof method !== "string") throw new Error(`${subId} has no card to charge`);
      core.chargeSaved(pi.id, method);
      return structuredClone(invoice);
    },
    /** Smart Retries: the open invoice is charged again with the saved card (or `card`). */
    retry(subId: string, options: { card?: string } = {}) {
      const sub = get(subId);
      const pi = openIntent(sub);
      const saved = typeof sub.default_payment_method === "string" ? sub.default_payment_method : undefined;
      const method = options.card === undefined ? saved : core.paymentMethodFrom(options.card);
      if (typeof method !== "string") throw new Error(`${subId} has no card to charge`);
      core.chargeSaved(pi, method);
    },
    /** The subscription is cancelled at once (the dashboard, dunning's end): `customer.subscription.deleted`. */
    cancel: (subId: string) => structuredClone(end(get(subId), null)),
    /** The PaymentIntent of a subscription's latest invoice. */
    latestIntent: (subId: string) => intentOfInvoice.get(String(get(subId).latest_invoice)),
  };
}
