/**
 * Stripe Connect through the Stripe provider (the official SDK over the local Stripe-compatible fake):
 * destination charges and their fee, refunds that take the creator's share back in proportion, a
 * dispute's transfer reversal and the transfer that returns it, Express and Standard accounts, their
 * onboarding links, and the `account.updated` event a Connect endpoint receives. Then the same end to
 * end through the app, with the fake as the provider: checkout, refund, dispute and the Connect webhook.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { connectedAccounts, connectTransfers, creators, orders } from "../../src/db/schema";
import {
  type CreatePayment,
  type CreateSubscription,
  type Destination,
  ProviderError,
} from "../../src/payments/provider";
import { createStripeProvider, stripeEventFrom } from "../../src/payments/stripe";
import { connectedAccountFromStripe } from "../../src/payments/stripe-connect";
import { quotedDrop } from "../support/checkouts";
import { expectInvariants } from "../support/drops";
import { createStripeFake, type FakeEvent } from "../support/stripe-fake";
import { stripeWorld } from "../support/stripe-world";
import { createTenant, db } from "../support/tenants";

const CONNECT_SECRET = "whsec_connect_test_secret";
const PLATFORM_SECRET = "whsec_platform_test_secret";

function setup() {
  const fake = createStripeFake();
  const provider = createStripeProvider({
    secretKey: "sk_test_connect",
    apiBase: fake.apiBase,
    fetch: fake.fetch,
    sleep: async () => {},
  });
  const connect = provider.connect;
  if (connect === undefined) throw new Error("the Stripe provider has no Connect");
  return { fake, provider, connect };
}
type World = ReturnType<typeof setup>;

const key = () => `key-${crypto.randomUUID()}`;

/** A connected Express account; onboarded unless told otherwise. */
async function account(world: World, onboarded = true) {
  const created = await world.connect.createAccount({
    type: "express",
    email: "creator@example.test",
    country: "US",
    metadata: { creator_id: "cre_1" },
    idempotencyKey: key(),
  });
  if (onboarded) world.fake.completeOnboarding(created.id);
  return created.id;
}

const payment = (destination?: Destination, overrides: Partial<CreatePayment> = {}): CreatePayment => ({
  amount: 2000,
  currency: "USD",
  metadata: { order_id: "ord_1", checkout_id: "chk_1" },
  idempotencyKey: key(),
  paymentMethod: "pm_card_visa",
  ...(destination === undefined ? {} : { destination }),
  ...overrides,
});

async function providerError(call: Promise<unknown>): Promise<ProviderError> {
  const error = await call.then(
    () => new Error("expected the call to fail"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  if (!(error instanceof ProviderError)) throw error;
  return error;
}

const transferOf = (world: World, chargeId: string | null) => {
  const found = world.fake.transfers().find((t) => t.source_transaction === chargeId);
  if (found === undefined) throw new Error(`no transfer from ${chargeId}`);
  return found;
};

describe("destination charges", () => {
  it("pays the creator's account the amount less the platform fee, exactly", async () => {
    const world = setup();
    const acct = await account(world);
    const paid = await world.provider.create(payment({ account: acct, applicationFeeAmount: 300 }));

    expect(paid.status).toBe("succeeded");
    expect(world.fake.requests.at(-1)?.params).toMatchObject({
      transfer_data: { destination: acct },
      application_fee_amount: "300",
    });
    const transfer = transferOf(world, paid.latestCharge);
    expect(paid.destination).toEqual({ account: acct, applicationFeeAmount: 300, transfer: transfer.id });
    // Stripe transfers the whole charge and collects the fee back from the account.
    expect(transfer).toMatchObject({ amount: 2000, destination: acct, amount_reversed: 0 });
    expect(world.fake.applicationFees()).toMatchObject([
      { amount: 300, account: acct, charge: paid.latestCharge },
    ]);
    expect(world.fake.balanceOf(acct)).toBe(1700);
  });

  it("sends no Connect parameter for a payment the platform keeps, and reads no destination", async () => {
    const world = setup();
    const paid = await world.provider.create(payment());
    const params = world.fake.requests.at(-1)?.params ?? {};
    expect(params).not.toHaveProperty("transfer_data");
    expect(params).not.toHaveProperty("application_fee_amount");
    expect(paid.destination).toBeNull();
    expect(world.fake.transfers()).toEqual([]);
  });

  it("sends no fee when the platform takes none, and still pays the account in full", async () => {
    const world = setup();
    const acct = await account(world);
    const paid = await world.provider.create(payment({ account: acct, applicationFeeAmount: 0 }));
    expect(world.fake.requests.at(-1)?.params).not.toHaveProperty("application_fee_amount");
    expect(paid.destination).toMatchObject({ account: acct, applicationFeeAmount: 0 });
    expect(world.fake.balanceOf(acct)).toBe(2000);
  });

  it.each([
    ["an account that has not finished onboarding", false, null],
    ["an account Stripe has since restricted", true, "rejected.fraud" as const],
  ])(
    "refuses to charge for %s: invalid request, no payment, no retry",
    async (_name, onboarded, restriction) => {
      const world = setup();
      const acct = await account(world, onboarded);
      if (restriction !== null) world.fake.restrictAccount(acct, restriction);
      const error = await providerError(
        world.provider.create(payment({ account: acct, applicationFeeAmount: 300 })),
      );
      expect(error).toMatchObject({
        kind: "invalid_request",
        retryable: false,
        code: "insufficient_capabilities_for_transfer",
      });
      expect(error.message).toMatch(/capabilities enabled: transfers/);
      expect(world.fake.paymentIntents()).toEqual([]);
      expect(world.fake.count("POST /v1/payment_intents")).toBe(1);
      expect(world.fake.balanceOf(acct)).toBe(0);
    },
  );

  it("refuses a destination that is no account of the platform's", async () => {
    const world = setup();
    const error = await providerError(
      world.provider.create(payment({ account: "acct_nobody", applicationFeeAmount: 300 })),
    );
    expect(error).toMatchObject({ kind: "invalid_request", code: "resource_missing" });
    expect(world.fake.paymentIntents()).toEqual([]);
  });

  it("reads the destination and its transfer back when the payment is retrieved", async () => {
    const world = setup();
    const acct = await account(world);
    const paid = await world.provider.create(payment({ account: acct, applicationFeeAmount: 150 }));
    const again = await world.provider.retrieve(paid.id);
    expect(again.destination).toEqual(paid.destination);
    expect(again.destination?.transfer).toMatch(/^tr_/);
  });
});

describe("refunds of a destination charge", () => {
  it("takes the whole transfer back and returns the whole fee on a full refund: the account nets 0", async () => {
    const world = setup();
    const acct = await account(world);
    const paid = await world.provider.create(payment({ account: acct, applicationFeeAmount: 300 }));
    const refund = await world.provider.refund(paid.id, { idempotencyKey: key(), reverseTransfer: true });

    expect(world.fake.requests.at(-1)?.params).toMatchObject({
      reverse_transfer: "true",
      refund_application_fee: "true",
    });
    // The creator gives back its share (1700), the platform its fee (300): they sum to the refund.
    expect(refund).toMatchObject({ amount: 2000, feeRefunded: 300, status: "succeeded" });
    expect(refund.transferReversal).toMatchObject({ amount: 1700 });
    expect(refund.transferReversal?.id).toMatch(/^trr_/);
    expect(transferOf(world, paid.latestCharge)).toMatchObject({ amount_reversed: 2000, reversed: true });
    expect(world.fake.applicationFees()[0]).toMatchObject({ amount_refunded: 300, refunded: true });
    expect(world.fake.balanceOf(acct)).toBe(0);
  });

  it("reverses partial refunds in proportion, the last one taking what rounding left", async () => {
    const world = setup();
    const acct = await account(world);
    const paid = await world.provider.create(
      payment({ account: acct, applicationFeeAmount: 100 }, { amount: 999 }),
    );
    expect(world.fake.balanceOf(acct)).toBe(899);

    const first = await world.provider.refund(paid.id, {
      amount: 333,
      idempotencyKey: key(),
      reverseTransfer: true,
    });
    // A third of the charge: a third of the creator's share back, a third of the fee returned.
    expect(first.transferReversal?.amount).toBe(300);
    expect(first.feeRefunded).toBe(33);
    expect(world.fake.balanceOf(acct)).toBe(899 - 333 + 33);

    const rest = await world.provider.refund(paid.id, { idempotencyKey: key(), reverseTransfer: true });
    expect(rest).toMatchObject({ amount: 666, feeRefunded: 67 });
    expect(rest.transferReversal?.amount).toBe(599);
    expect(world.fake.balanceOf(acct)).toBe(0);
    // Stripe's own reversals are gross: together they take back the whole transfer.
    expect(transferOf(world, paid.latestCharge).reversals.data.map((r) => r.amount)).toEqual([666, 333]);
  });

  it("replays a refund's key without reversing the transfer a second time", async () => {
    const world = setup();
    const acct = await account(world);
    const paid = await world.provider.create(payment({ account: acct, applicationFeeAmount: 300 }));
    const input = { amount: 500, idempotencyKey: key(), reverseTransfer: true };
    world.fake.failNext({ kind: "network_after" });
    const refund = await world.provider.refund(paid.id, input);
    const again = await world.provider.refund(paid.id, input);

    expect(again).toEqual(refund);
    expect(world.fake.refunds()).toHaveLength(1);
    expect(transferOf(world, paid.latestCharge)).toMatchObject({ amount_reversed: 500 });
    expect(world.fake.balanceOf(acct)).toBe(1700 - 500 + 75);
  });

  it("leaves the transfer alone when the refund does not ask to reverse it (the request is unchanged)", async () => {
    const world = setup();
    const acct = await account(world);
    const paid = await world.provider.create(payment({ account: acct, applicationFeeAmount: 300 }));
    const refund = await world.provider.refund(paid.id, { idempotencyKey: key() });
    const params = world.fake.requests.at(-1)?.params ?? {};
    expect(Object.keys(params).sort()).toEqual(["payment_intent"]);
    expect(refund).not.toHaveProperty("transferReversal");
    expect(world.fake.balanceOf(acct)).toBe(1700);
  });

  it("refuses to reverse the transfer of a payment the platform kept, and refunds nothing", async () => {
    const world = setup();
    const paid = await world.provider.create(payment());
    const error = await providerError(
      world.provider.refund(paid.id, { idempotencyKey: key(), reverseTransfer: true }),
    );
    expect(error.kind).toBe("invalid_request");
    expect(world.fake.refunds()).toEqual([]);
  });
});

describe("a dispute on a destination charge", () => {
  async function disputed(world: World) {
    const acct = await account(world);
    const paid = await world.provider.create(
      payment({ account: acct, applicationFeeAmount: 300 }, { paymentMethod: "pm_card_createDispute" }),
    );
    expect(await world.provider.disputes(paid.id)).toHaveLength(1);
    return { acct, paid };
  }

  it("takes the creator's share back once, however often the reversal is retried with its key", async () => {
    const world = setup();
    const { acct, paid } = await disputed(world);
    const input = { paymentId: paid.id, amount: 1700, idempotencyKey: key(), metadata: { dispute: "dp_1" } };
    world.fake.failNext({ kind: "network_after" });
    const reversal = await world.connect.reverseTransfer(input);
    const again = await world.connect.reverseTransfer(input);

    expect(reversal).toMatchObject({ amount: 1700 });
    expect(reversal.id).toMatch(/^trr_/);
    expect(again).toEqual(reversal);
    const transfer = transferOf(world, paid.latestCharge);
    expect(transfer).toMatchObject({ amount_reversed: 1700 });
    expect(transfer.reversals.data).toMatchObject([{ id: reversal.id, metadata: { dispute: "dp_1" } }]);
    // The platform keeps its fee: the account is back to nothing.
    expect(world.fake.balanceOf(acct)).toBe(0);
  });

  it("refuses to reverse more than the transfer has left", async () => {
    const world = setup();
    const { paid } = await disputed(world);
    const error = await providerError(
      world.connect.reverseTransfer({
        paymentId: paid.id,
        amount: 2001,
        idempotencyKey: key(),
        metadata: {},
      }),
    );
    expect(error).toMatchObject({ kind: "invalid_request", code: "amount_too_large" });
    expect(transferOf(world, paid.latestCharge).amount_reversed).toBe(0);
  });

  it("refuses to reverse a payment that made no transfer", async () => {
    const world = setup();
    const paid = await world.provider.create(payment());
    const error = await providerError(
      world.connect.reverseTransfer({ paymentId: paid.id, amount: 100, idempotencyKey: key(), metadata: {} }),
    );
    expect(error.kind).toBe("invalid_request");
  });

  it("sends the share back when the dispute is won, funded by the charge and never beyond it", async () => {
    const world = setup();
    const { acct, paid } = await disputed(world);
    await world.connect.reverseTransfer({
      paymentId: paid.id,
      amount: 1700,
      idempotencyKey: key(),
      metadata: {},
    });
    const input = {
      account: acct,
      amount: 1700,
      currency: "USD",
      paymentId: paid.id,
      idempotencyKey: key(),
      metadata: { dispute: "dp_1" },
    };
    const back = await world.connect.transfer(input);
    expect(await world.connect.transfer(input)).toEqual(back);

    expect(world.fake.requests.at(-1)?.params).toMatchObject({
      source_transaction: paid.latestCharge,
      destination: acct,
      currency: "usd",
    });
    expect(world.fake.transfers().find((t) => t.id === back.id)).toMatchObject({ amount: 1700 });
    expect(world.fake.balanceOf(acct)).toBe(1700);
    // The charge (2000) has funded 300 + 1700 net: nothing more can come from it.
    const error = await providerError(world.connect.transfer({ ...input, amount: 1, idempotencyKey: key() }));
    expect(error.kind).toBe("invalid_request");
    expect(world.fake.balanceOf(acct)).toBe(1700);
  });
});

describe("connected accounts", () => {
  it("creates an Express account with controller properties, asking for card payments and transfers", async () => {
    const world = setup();
    const input = {
      type: "express" as const,
      email: "creator@example.test",
      country: "US",
      metadata: { creator_id: "cre_1" },
      idempotencyKey: key(),
    };
    const created = await world.connect.createAccount(input);
    expect(await world.connect.createAccount(input)).toEqual(created);

    expect(world.fake.requests[0]?.params).toMatchObject({
      controller: {
        stripe_dashboard: { type: "express" },
        fees: { payer: "application" },
        losses: { payments: "application" },
      },
      capabilities: { card_payments: { requested: "true" }, transfers: { requested: "true" } },
      email: "creator@example.test",
      metadata: { creator_id: "cre_1" },
    });
    expect(world.fake.requests[0]?.params).not.toHaveProperty("type");
    expect(world.fake.accounts()).toHaveLength(1);
    expect(created).toMatchObject({
      type: "express",
      chargesEnabled: false,
      payoutsEnabled: false,
      detailsSubmitted: false,
      disabledReason: "requirements.past_due",
      metadata: { creator_id: "cre_1" },
    });
    expect(created.id).toMatch(/^acct_/);
    expect(created.requirementsDue.length).toBeGreaterThan(0);
  });

  it("creates a Standard account with the full Dashboard, and reads an account as it is now", async () => {
    const world = setup();
    const created = await world.connect.createAccount({
      type: "standard",
      metadata: {},
      idempotencyKey: key(),
    });
    expect(created.type).toBe("standard");
    world.fake.completeOnboarding(created.id);
    expect(await world.connect.retrieveAccount(created.id)).toMatchObject({
      type: "standard",
      chargesEnabled: true,
      payoutsEnabled: true,
      detailsSubmitted: true,
      requirementsDue: [],
      disabledReason: null,
    });
    world.fake.restrictAccount(created.id, "requirements.past_due");
    expect(await world.connect.retrieveAccount(created.id)).toMatchObject({
      chargesEnabled: false,
      disabledReason: "requirements.past_due",
    });
  });

  it("reports an unknown account as not found", async () => {
    const world = setup();
    const error = await providerError(world.connect.retrieveAccount("acct_nobody"));
    expect(error.kind).toBe("not_found");
  });

  it("makes a single-use onboarding link that expires within minutes", async () => {
    const world = setup();
    const acct = await account(world, false);
    const before = Date.now();
    const link = await world.connect.createAccountLink({
      account: acct,
      refreshUrl: "https://platform.test/onboarding/refresh",
      returnUrl: "https://platform.test/onboarding/done",
    });
    expect(world.fake.requests.at(-1)?.params).toMatchObject({
      account: acct,
      type: "account_onboarding",
      refresh_url: "https://platform.test/onboarding/refresh",
      return_url: "https://platform.test/onboarding/done",
    });
    expect(link.url).toMatch(/^https:\/\/connect\.stripe\.com\//);
    expect(link.expiresAt).toBeGreaterThan(before);
    expect(link.expiresAt).toBeLessThanOrEqual(before + 10 * 60_000);
  });

  it("delivers account.updated naming the account, verifiable only with the Connect endpoint's secret", async () => {
    const world = setup();
    const acct = await account(world, false);
    world.fake.completeOnboarding(acct);
    const event = world.fake.events.at(-1);
    if (event === undefined) throw new Error("no event");
    expect(event).toMatchObject({ type: "account.updated", account: acct });

    const delivery = await world.fake.signedDelivery(event, CONNECT_SECRET);
    const verified = await stripeEventFrom(
      delivery.body,
      delivery.headers["stripe-signature"],
      CONNECT_SECRET,
    );
    expect(verified.type).toBe("account.updated");
    expect(verified.account).toBe(acct);
    if (verified.type !== "account.updated") throw new Error("not account.updated");
    expect(connectedAccountFromStripe(verified.data.object)).toMatchObject({
      id: acct,
      chargesEnabled: true,
      requirementsDue: [],
    });
    await expect(
      stripeEventFrom(delivery.body, delivery.headers["stripe-signature"], PLATFORM_SECRET),
    ).rejects.toThrow(/signature/i);
  });
});

describe("a subscription to a creator's account", () => {
  const subscription = (acct: string, fee: number, paymentMethod?: string): CreateSubscription => ({
    amount: 1000,
    currency: "USD",
    email: "fan@example.test",
    product: { id: `off_${crypto.randomUUID()}`, name: "Fan tier" },
    interval: { unit: "week", count: 1 },
    metadata: { order_id: "ord_s", checkout_id: "chk_s", creator_id: "cre_1" },
    idempotencyKey: key(),
    destination: { account: acct, applicationFeeAmount: fee },
    ...(paymentMethod === undefined ? {} : { paymentMethod }),
  });

  it("makes every invoice a destination charge with the fee as a percent, first payment and renewals", async () => {
    const world = setup();
    const acct = await account(world);
    const createSubscription = world.provider.createSubscription;
    if (createSubscription === undefined) throw new Error("no Billing");
    const paid = await createSubscription(subscription(acct, 125, "pm_card_visa"));

    const created = world.fake.requests.find((r) => r.route === "POST /v1/subscriptions");
    // 125 of 1000 is 12.5 %: Stripe takes a decimal percent.
    expect(created?.params).toMatchObject({
      transfer_data: { destination: acct },
      application_fee_percent: "12.5",
    });
    expect(paid).toMatchObject({ status: "succeeded" });
    expect(paid.destination).toMatchObject({ account: acct, applicationFeeAmount: 125 });
    expect(world.fake.balanceOf(acct)).toBe(875);

    const subId = paid.subscription?.id ?? "";
    world.fake.billing.renew(subId);
    expect(world.fake.transfers()).toHaveLength(2);
    expect(world.fake.balanceOf(acct)).toBe(1750);
  });

  it.each([
    [49, "4.9"],
    [7, "0.7"],
    [333, "33.3"],
  ])(
    "sends a fee of %i on 1000 as the percent %s, and Stripe's first invoice takes that fee",
    async (fee, percent) => {
      const world = setup();
      const acct = await account(world);
      const createSubscription = world.provider.createSubscription;
      if (createSubscription === undefined) throw new Error("no Billing");
      const first = await createSubscription(subscription(acct, fee));
      const created = world.fake.requests.find((r) => r.route === "POST /v1/subscriptions");
      expect(created?.params.application_fee_percent).toBe(percent);
      expect(first.destination).toMatchObject({ account: acct, applicationFeeAmount: fee });
    },
  );

  it("refuses to start a subscription paying an account that cannot take charges yet", async () => {
    const world = setup();
    const acct = await account(world, false);
    const createSubscription = world.provider.createSubscription;
    if (createSubscription === undefined) throw new Error("no Billing");
    const error = await providerError(createSubscription(subscription(acct, 100)));
    expect(error).toMatchObject({ kind: "invalid_request", code: "insufficient_capabilities_for_transfer" });
    expect(world.fake.subscriptions()).toEqual([]);
  });
});

describe("through the app, with Stripe (the fake) as the provider", () => {
  const APP_CONNECT_SECRET = "whsec_connectendpointapp";
  const FEE_BPS = 1000;

  /** A creator with a 10 % platform fee and a linked Express account, not yet onboarded. */
  async function creator() {
    const world = stripeWorld();
    Object.assign(world.bindings, { STRIPE_CONNECT_WEBHOOK_SECRET: APP_CONNECT_SECRET });
    const tenant = await createTenant();
    await db.update(creators).set({ platformFeeBps: FEE_BPS }).where(eq(creators.id, tenant.creatorId));
    const linked = await world.call("POST", "/v1/connect/account", JSON.stringify({ type: "express" }), {
      authorization: `Bearer ${tenant.key}`,
      "idempotency-key": crypto.randomUUID(),
    });
    expect(linked.status, JSON.stringify(linked.body)).toBe(201);
    const accountId = linked.body.account_id as string;
    return { world, tenant, accountId };
  }
  type Creator = Awaited<ReturnType<typeof creator>>;

  /** Stripe says the account finished onboarding, on the Connect endpoint; the worker re-reads it. */
  async function onboard({ world, accountId }: Creator) {
    world.fake.completeOnboarding(accountId);
    const event = world.fake.events.at(-1) as FakeEvent;
    expect(event).toMatchObject({ type: "account.updated", account: accountId });
    const delivered = await world.deliver(event, { secret: APP_CONNECT_SECRET });
    expect(delivered.status, JSON.stringify(delivered.body)).toBe(200);
  }

  async function buy({ world, tenant }: Creator, card = "pm_card_visa") {
    const buyerId = `connect-buyer-${crypto.randomUUID()}`;
    const { drop, quote } = await quotedDrop(tenant, buyerId);
    const res = await world.checkout(buyerId, {
      quote: quote.token,
      email: `fan-${crypto.randomUUID()}@example.test`,
      payment_method: card,
    });
    return { drop, res };
  }

  async function orderOf(orderId: string) {
    const [order] = await db.select().from(orders).where(eq(orders.id, orderId));
    if (order === undefined) throw new Error(`no order ${orderId}`);
    const fee = Math.floor((order.amountTotal * FEE_BPS) / 10_000);
    return { order, fee, share: order.amountTotal - fee, paymentId: order.providerPaymentId ?? "" };
  }

  const ledger = (paymentId: string) =>
    db.select().from(connectTransfers).where(eq(connectTransfers.paymentId, paymentId));

  it("a creator whose Stripe account is not onboarded sells nothing: 409, no PaymentIntent, no stock held", async () => {
    const c = await creator();
    const { drop, res } = await buy(c);
    expect(res.status, JSON.stringify(res.body)).toBe(409);
    expect(String(res.body.type)).toMatch(/payouts-not-ready$/);
    expect(c.world.fake.paymentIntents()).toEqual([]);
    expect(await expectInvariants(drop.id)).toMatchObject({ sold: 0, held: 0 });
  });

  it("account.updated on the Connect endpoint makes the account ready; a checkout then pays it, less the fee", async () => {
    const c = await creator();
    await onboard(c);
    const [row] = await db
      .select()
      .from(connectedAccounts)
      .where(eq(connectedAccounts.accountId, c.accountId));
    expect(row).toMatchObject({ chargesEnabled: true, detailsSubmitted: true });

    const { res } = await buy(c);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.status).toBe("paid");
    const { order, fee, share } = await orderOf(res.body.order_id as string);
    expect(fee).toBeGreaterThan(0);
    expect(order).toMatchObject({ destinationAccount: c.accountId, platformFeeAmount: fee });
    expect(c.world.fake.paymentIntents()).toMatchObject([
      { transfer_data: { destination: c.accountId }, application_fee_amount: fee, status: "succeeded" },
    ]);
    expect(c.world.fake.balanceOf(c.accountId)).toBe(share);
  });

  it("an account Stripe restricted before its account.updated arrived: Stripe refuses, nothing is charged or held", async () => {
    const c = await creator();
    await onboard(c);
    // The worker still holds the account as ready; Stripe no longer lets it take destination charges.
    c.world.fake.restrictAccount(c.accountId, "rejected.fraud");
    const { drop, res } = await buy(c);
    // The creator's account is what is wrong, not the buyer's card: 409 payouts-not-ready.
    expect(res.status, JSON.stringify(res.body)).toBe(409);
    expect(res.body.type).toMatch(/payouts-not-ready$/);
    expect(c.world.fake.paymentIntents()).toEqual([]);
    // The refusal re-read the account: the next buyer is refused from the stored readiness, before any
    // hold and without asking Stripe for a payment.
    const calls = c.world.fake.count("POST /v1/payment_intents");
    const again = await buy(c);
    expect(again.res.status).toBe(409);
    expect(again.res.body.detail).toMatch(/rejected\.fraud|disabled|requirements/i);
    expect(c.world.fake.count("POST /v1/payment_intents")).toBe(calls);
    expect(await expectInvariants(drop.id)).toMatchObject({ sold: 0, held: 0 });
  });

  it("refunding the order takes the creator's share back and returns the fee: the creator nets 0, once", async () => {
    const c = await creator();
    await onboard(c);
    const { res } = await buy(c);
    const { order, fee, share, paymentId } = await orderOf(res.body.order_id as string);
    const refund = () =>
      c.world.call("POST", `/v1/orders/${order.id}/refund`, "{}", {
        authorization: `Bearer ${c.tenant.key}`,
        "idempotency-key": crypto.randomUUID(),
      });
    const refunded = await refund();
    expect(refunded.status, JSON.stringify(refunded.body)).toBe(200);
    expect(refunded.body.status).toBe("refunded");
    expect(c.world.fake.balanceOf(c.accountId)).toBe(0);
    expect(c.world.fake.transfers()).toMatchObject([{ amount: order.amountTotal, reversed: true }]);
    expect(await ledger(paymentId)).toEqual([
      expect.objectContaining({ kind: "reversal", reason: "refund", amount: share, feeRefunded: fee }),
    ]);
    // A second refund of the order moves no more money.
    await refund();
    await c.world.deliverAll(paymentId);
    expect(c.world.fake.transfers()[0]?.reversals.data).toHaveLength(1);
    expect(await ledger(paymentId)).toHaveLength(1);
  });

  it("a chargeback takes the creator's share back from its account once, however often its events arrive", async () => {
    const c = await creator();
    await onboard(c);
    const { res } = await buy(c, "pm_card_createDispute");
    expect(res.body.status).toBe("paid");
    const { share, paymentId } = await orderOf(res.body.order_id as string);
    expect(c.world.fake.balanceOf(c.accountId)).toBe(share);

    await c.world.deliverAll(paymentId);
    await c.world.deliverAll(paymentId);
    const [transfer] = c.world.fake.transfers();
    expect(transfer?.reversals.data).toMatchObject([{ amount: share }]);
    expect(c.world.fake.balanceOf(c.accountId)).toBe(0);
    expect(await ledger(paymentId)).toEqual([
      expect.objectContaining({ kind: "reversal", reason: "dispute", amount: share }),
    ]);
  });

  it("a dispute won sends the creator's share back, funded by the charge, once", async () => {
    const c = await creator();
    await onboard(c);
    const { res } = await buy(c, "pm_card_createDispute");
    const { share, paymentId } = await orderOf(res.body.order_id as string);
    await c.world.deliverAll(paymentId);
    const [dispute] = c.world.fake.disputes();
    if (dispute === undefined) throw new Error("no dispute");
    const from = c.world.fake.events.length;
    c.world.tick();
    c.world.fake.resolveDispute(dispute.id, "winning_evidence");
    await c.world.deliverAll(paymentId, from);
    await c.world.deliverAll(paymentId, from);

    expect(c.world.fake.balanceOf(c.accountId)).toBe(share);
    const sentBack = c.world.fake.transfers().filter((t) => t.metadata.dispute_id === dispute.id);
    expect(sentBack).toMatchObject([{ amount: share, destination: c.accountId }]);
    expect((await ledger(paymentId)).map((t) => t.kind).sort()).toEqual(["reversal", "transfer"]);
  });
});
