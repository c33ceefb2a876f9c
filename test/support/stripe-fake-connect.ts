/**
 * Stripe Connect for the fake account (stripe-fake-resources.ts): connected Accounts and their
 * onboarding links, destination charges' Transfers and Application Fees, Transfer Reversals (by a
 * refund with `reverse_transfer`, or directly), Transfers funded by a charge (`source_transaction`),
 * and each connected account's balance, so tests can assert where the money went.
 *
 * It follows Stripe's money movement for `application_fee_amount` on a destination charge: the whole
 * charge is transferred to the account, then the fee is collected back from it as an application fee,
 * so the account nets `amount - fee`. A refund reverses the transfer and refunds the fee in proportion.
 *
 * Test-only moves: `completeOnboarding` (the account can now take destination charges) and
 * `restrictAccount` (Stripe disables it), each an `account.updated` event naming the account.
 */
import type Stripe from "stripe";
import {
  accountLinkObject,
  accountObject,
  applicationFeeObject,
  emptyRequirements,
  reversalObject,
  transferObject,
} from "./stripe-fake-connect-objects";
import {
  eventObject,
  type FakeEvent,
  invalidRequest,
  noSuch,
  type Reply,
  seconds,
  stripeId,
} from "./stripe-fake-objects";
import type { FormObject, FormValue, Handler, RequestContext } from "./stripe-fake-resources";

const ok = (body: unknown): Reply => ({ status: 200, body: structuredClone(body) });
const text = (v: FormValue | undefined) => (typeof v === "string" ? v : undefined);
const record = (v: FormValue | undefined): Record<string, string> =>
  typeof v === "object"
    ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === "string"))
    : {};
const list = (v: FormValue | undefined): string[] =>
  typeof v === "object" ? Object.values(v).filter((x): x is string => typeof x === "string") : [];
const idOf = (ref: string | { id: string } | null | undefined) =>
  ref === null || ref === undefined ? undefined : typeof ref === "string" ? ref : ref.id;

/** Stripe's answer to a destination whose account cannot receive transfers yet. */
export const NOT_TRANSFERS_CAPABLE =
  "Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments";

export function createFakeConnect(core: {
  now: () => number;
  events: FakeEvent[];
  /** The account's charges (stripe-fake-resources.ts): what a transfer's `source_transaction` names. */
  charges: ReadonlyMap<string, Stripe.Charge>;
}) {
  const accounts = new Map<string, Stripe.Account>();
  const transfers = new Map<string, Stripe.Transfer>();
  const fees = new Map<string, Stripe.ApplicationFee>();
  /** Each connected account's balance per currency, in minor units (payouts are not modelled). */
  const balances = new Map<string, Map<string, number>>();
  const stamp = () => seconds(core.now());

  const credit = (account: string, currency: string, amount: number) => {
    const byCurrency = balances.get(account) ?? new Map<string, number>();
    byCurrency.set(currency, (byCurrency.get(currency) ?? 0) + amount);
    balances.set(account, byCurrency);
  };

  function accountUpdated(account: Stripe.Account, ctx: RequestContext | null) {
    const request = { id: ctx?.requestId ?? null, idempotency_key: ctx?.idempotencyKey ?? null };
    core.events.push(eventObject("account.updated", account, stamp(), request));
  }

  /**
   * Why Stripe would refuse a destination charge, or null: the account must exist and have `transfers`
   * active; a fee needs a destination and cannot exceed the amount.
   */
  function destinationError(
    destination: string | undefined,
    fee: string | undefined,
    amount: number,
    params: { destination: string; fee: string },
  ): Reply | null {
    if (destination === undefined) {
      if (fee === undefined) return null;
      const message =
        "Can only apply an application_fee_amount when the PaymentIntent is attempting a direct payment (using an OAuth key or Stripe-Account header) or destination payment (using `transfer_data[destination]`).";
      return invalidRequest(message, { param: params.fee });
    }
    const account = accounts.get(destination);
    if (account === undefined) {
      return invalidRequest(`No such destination: '${destination}'`, {
        code: "resource_missing",
        param: params.destination,
      });
    }
    if (account.capabilities?.transfers !== "active") {
      return invalidRequest(NOT_TRANSFERS_CAPABLE, {
        code: "insufficient_capabilities_for_transfer",
        param: params.destination,
      });
    }
    const value = fee === undefined ? 0 : Number(fee);
    if (!Number.isFinite(value) || value < 0 || value > amount) {
      return invalidRequest(
        `The application fee (${fee}) must be a non-negative amount no greater than the amount of the payment (${amount}).`,
        { param: params.fee },
      );
    }
    return null;
  }

  /** A destination charge succeeded: the whole amount is transferred, and the fee collected back. */
  function settle(pi: Stripe.PaymentIntent, charge: Stripe.Charge): void {
    const destination = idOf(pi.transfer_data?.destination);
    if (destination === undefined) return;
    const created = stamp();
    const transfer = transferObject({
      amount: charge.amount,
      currency: charge.currency,
      destination,
      sourceTransaction: charge.id,
      metadata: {},
      created,
    });
    transfers.set(transfer.id, transfer);
    credit(destination, charge.currency, charge.amount);
    const feeAmount = pi.application_fee_amount ?? 0;
    Object.assign(charge, {
      transfer: transfer.id,
      transfer_data: { amount: null, destination },
      application_fee_amount: pi.application_fee_amount,
    });
    if (feeAmount > 0) {
      const fee = applicationFeeObject({ account: destination, amount: feeAmount, charge, created });
      fees.set(fee.id, fee);
      credit(destination, charge.currency, -feeAmount);
      charge.application_fee = fee.id;
    }
  }

  /** Reverses `amount` of a transfer (capped by nothing: callers check what remains). */
  function reverse(
    transfer: Stripe.Transfer,
    amount: number,
    input: { metadata: Record<string, string>; sourceRefund: string | null },
  ): Stripe.TransferReversal {
    const reversal = reversalObject(transfer, { amount, created: stamp(), ...input });
    transfer.amount_reversed += amount;
    transfer.reversed = transfer.amount_reversed === transfer.amount;
    transfer.reversals.data.unshift(reversal);
    const destination = idOf(transfer.destination);
    if (destination !== undefined) credit(destination, transfer.currency, -amount);
    return reversal;
  }

  /** Returns `amount` of an application fee to the account it was collected from. */
  function refundFee(fee: Stripe.ApplicationFee, amount: number): void {
    if (amount <= 0) return;
    fee.amount_refunded += amount;
    fee.refunded = fee.amount_refunded === fee.amount;
    fee.refunds.data.unshift({
      id: stripeId("fr"),
      object: "fee_refund",
      amount,
      balance_transaction: stripeId("txn"),
      created: stamp(),
      currency: fee.currency,
      fee: fee.id,
      metadata: {},
    });
    credit(idOf(fee.account) ?? "", fee.currency, amount);
  }

  /** `share` of `total`, the last share taking what remains so rounding never leaves a remainder. */
  const proportion = (total: number, remaining: number, share: number, of: number, last: boolean) =>
    Math.min(remaining, last ? remaining : Math.round((total * share) / of));

  /**
   * A refund of a destination charge with `reverse_transfer` and/or `refund_application_fee`: checked
   * before anything moves (null when it may proceed), then applied once the refund exists.
   */
  function refundError(charge: Stripe.Charge, params: FormObject): Reply | null {
    const reversing = text(params.reverse_transfer) === "true";
    if (reversing && (charge.transfer === undefined || charge.transfer === null)) {
      return invalidRequest(
        `The charge ${charge.id} has no transfer to reverse: reverse_transfer applies to destination charges only.`,
        { param: "reverse_transfer" },
      );
    }
    return null;
  }

  function onRefund(charge: Stripe.Charge, refund: Stripe.Refund, params: FormObject): void {
    const last = charge.amount_refunded === charge.amount;
    const transfer = transfers.get(idOf(charge.transfer) ?? "");
    if (text(params.reverse_transfer) === "true" && transfer !== undefined) {
      const remaining = transfer.amount - transfer.amount_reversed;
      const amount = proportion(transfer.amount, remaining, refund.amount, charge.amount, last);
      if (amount > 0) {
        const reversal = reverse(transfer, amount, { metadata: {}, sourceRefund: refund.id });
        refund.transfer_reversal = reversal.id;
      }
    }
    const fee = fees.get(idOf(charge.application_fee) ?? "");
    if (text(params.refund_application_fee) === "true" && fee !== undefined) {
      const remaining = fee.amount - fee.amount_refunded;
      refundFee(fee, proportion(fee.amount, remaining, refund.amount, charge.amount, last));
    }
  }

  /** A refund as answered, with `expand[]`: `transfer_reversal`, `charge`, `charge.application_fee`. */
  function renderRefund(refund: Stripe.Refund, charge: Stripe.Charge, params: FormObject): Reply {
    const expand = list(params.expand);
    const known = ["transfer_reversal", "charge", "charge.application_fee"];
    const unknown = expand.find((path) => !known.includes(path));
    if (unknown) return invalidRequest(`This property cannot be expanded (${unknown}).`);
    const body: Stripe.Refund = structuredClone(refund);
    const reversalId = idOf(refund.transfer_reversal);
    if (expand.includes("transfer_reversal") && reversalId !== undefined) {
      const reversal = [...transfers.values()]
        .flatMap((t) => t.reversals.data)
        .find((r) => r.id === reversalId);
      if (reversal !== undefined) body.transfer_reversal = structuredClone(reversal);
    }
    if (expand.some((path) => path.startsWith("charge"))) {
      const expanded: Stripe.Charge = structuredClone(charge);
      const fee = fees.get(idOf(charge.application_fee) ?? "");
      if (expand.includes("charge.application_fee") && fee !== undefined) {
        expanded.application_fee = structuredClone(fee);
      }
      body.charge = expanded;
    }
    return ok(body);
  }

  function createAccount(params: FormObject): Reply {
    const type = text(params.type);
    if (type !== undefined && !["express", "standard", "custom"].includes(type)) {
      return invalidRequest(`Invalid type: must be one of custom, express, or standard`, { param: "type" });
    }
    const controller = typeof params.controller === "object" ? params.controller : undefined;
    if (type !== undefined && controller !== undefined) {
      return invalidRequest("You cannot specify both `type` and `controller`.", { param: "controller" });
    }
    const account = accountObject({
      type,
      controller: controller ?? {},
      country: text(params.country) ?? "US",
      email: text(params.email) ?? null,
      metadata: record(params.metadata),
      requested: Object.keys(typeof params.capabilities === "object" ? params.capabilities : {}),
      created: stamp(),
    });
    accounts.set(account.id, account);
    return ok(account);
  }

  function createAccountLink(params: FormObject): Reply {
    const id = text(params.account) ?? "";
    if (!accounts.has(id)) return noSuch("account", id, "account");
    const type = text(params.type);
    if (type !== "account_onboarding" && type !== "account_update") {
      return invalidRequest("Invalid type: must be one of account_onboarding or account_update", {
        param: "type",
      });
    }
    for (const param of ["refresh_url", "return_url"]) {
      const url = text(params[param]);
      if (url === undefined || !/^https?:\/\//.test(url)) {
        return invalidRequest(`Missing required param: ${param}.`, { code: "parameter_missing", param });
      }
    }
    return ok(accountLinkObject(id, stamp()));
  }

  function createTransfer(params: FormObject): Reply {
    const destination = text(params.destination) ?? "";
    const amount = Number(text(params.amount));
    const currency = (text(params.currency) ?? "").toLowerCase();
    const refused = destinationError(destination, undefined, amount, {
      destination: "destination",
      fee: "amount",
    });
    if (refused !== null) return refused;
    if (!Number.isInteger(amount) || amount < 1) {
      return invalidRequest("Invalid integer", { code: "parameter_invalid_integer", param: "amount" });
    }
    const source = text(params.source_transaction);
    const charge = source === undefined ? undefined : core.charges.get(source);
    if (source !== undefined && charge === undefined) return noSuch("charge", source, "source_transaction");
    if (charge !== undefined) {
      // A charge funds at most its own amount, net of what was already transferred and not reversed.
      const funded = [...transfers.values()]
        .filter((t) => t.source_transaction === charge.id)
        .reduce((sum, t) => sum + t.amount - t.amount_reversed, 0);
      if (funded + amount > charge.amount || charge.currency !== currency) {
        return invalidRequest(
          `Transfer amount (${amount}) exceeds the amount of the source transaction ${charge.id} still available to transfer (${charge.amount - funded}).`,
          { code: "transfer_source_balance_parameters_mismatch", param: "amount" },
        );
      }
    }
    const transfer = transferObject({
      amount,
      currency,
      destination,
      sourceTransaction: source ?? null,
      metadata: record(params.metadata),
      created: stamp(),
    });
    transfers.set(transfer.id, transfer);
    credit(destination, currency, amount);
    return ok(transfer);
  }

  function createReversal(transfer: Stripe.Transfer, params: FormObject): Reply {
    const remaining = transfer.amount - transfer.amount_reversed;
    const amount = text(params.amount) === undefined ? remaining : Number(text(params.amount));
    if (!Number.isInteger(amount) || amount < 1 || amount > remaining) {
      return invalidRequest(
        `Reversal amount (${amount}) is greater than the amount of the transfer that remains (${remaining}).`,
        { code: "amount_too_large", param: "amount" },
      );
    }
    const reversal = reverse(transfer, amount, { metadata: record(params.metadata), sourceRefund: null });
    const charge = core.charges.get(idOf(transfer.source_transaction) ?? "");
    const fee = fees.get(idOf(charge?.application_fee) ?? "");
    if (text(params.refund_application_fee) === "true" && fee !== undefined) {
      const left = fee.amount - fee.amount_refunded;
      refundFee(fee, proportion(fee.amount, left, amount, transfer.amount, amount === remaining));
    }
    return ok(reversal);
  }

  const onTransfer =
    (id: string, run: (transfer: Stripe.Transfer, params: FormObject) => Reply): Handler =>
    (params) => {
      const transfer = transfers.get(id);
      return transfer ? run(transfer, params) : noSuch("transfer", id);
    };

  function route(method: string, path: string): { name: string; handler: Handler | null } | null {
    const match = /^\/v1\/(accounts|account_links|transfers)(?:\/([^/]+))?(?:\/(reversals))?$/.exec(path);
    if (match === null) return null;
    const [, resource, id, action] = match;
    const name = `${method} /v1/${resource}${id ? "/:id" : ""}${action ? `/${action}` : ""}`;
    const handlers: Record<string, Handler> = {
      "POST /v1/accounts": createAccount,
      "GET /v1/accounts/:id": () => {
        const account = accounts.get(id ?? "");
        return account ? ok(account) : noSuch("account", id ?? "");
      },
      "POST /v1/account_links": createAccountLink,
      "POST /v1/transfers": createTransfer,
      "GET /v1/transfers": (params) => {
        const destination = text(params.destination);
        const data = [...transfers.values()]
          .filter((t) => destination === undefined || t.destination === destination)
          .sort((a, b) => b.created - a.created);
        return ok({ object: "list", data, has_more: false, url: "/v1/transfers" });
      },
      "GET /v1/transfers/:id": onTransfer(id ?? "", (transfer) => ok(transfer)),
      "POST /v1/transfers/:id/reversals": onTransfer(id ?? "", createReversal),
      "GET /v1/transfers/:id/reversals": onTransfer(id ?? "", (transfer) => ok(transfer.reversals)),
    };
    return { name, handler: handlers[name] ?? null };
  }

  const get = (id: string) => {
    const account = accounts.get(id);
    if (account === undefined) throw new Error(`no account ${id}`);
    return account;
  };

  return {
    route,
    accounts,
    transfers,
    fees,
    destinationError,
    settle,
    refundError,
    onRefund,
    renderRefund,
    /** The account holder finishes onboarding: charges, payouts and transfers enabled, nothing due. */
    completeOnboarding(id: string) {
      const account = get(id);
      Object.assign(account, { charges_enabled: true, payouts_enabled: true, details_submitted: true });
      account.capabilities = { card_payments: "active", transfers: "active" };
      account.requirements = { ...emptyRequirements(), currently_due: [], eventually_due: [] };
      accountUpdated(account, null);
      return structuredClone(account);
    },
    /** Stripe disables the account (`requirements.past_due`, `rejected.fraud`, `under_review`, …). */
    restrictAccount(id: string, reason: Stripe.Account.Requirements.DisabledReason) {
      const account = get(id);
      Object.assign(account, { charges_enabled: false, payouts_enabled: false });
      account.capabilities = { card_payments: "inactive", transfers: "inactive" };
      const due = reason.startsWith("requirements.") ? ["individual.verification.document"] : [];
      account.requirements = {
        ...emptyRequirements(),
        currently_due: due,
        past_due: reason === "requirements.past_due" ? due : [],
        disabled_reason: reason,
      };
      accountUpdated(account, null);
      return structuredClone(account);
    },
    /** The account's balance in `currency` (lower-case, as Stripe writes it): what it nets so far. */
    balanceOf: (id: string, currency = "usd") => balances.get(id)?.get(currency.toLowerCase()) ?? 0,
  };
}
