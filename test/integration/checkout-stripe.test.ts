import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents, checkouts, paymentEvents } from "../../src/db/schema";
import { quotedDrop } from "../support/checkouts";
import { expectInvariants } from "../support/drops";
import type { FakeEvent } from "../support/stripe-fake";
import { stripeWorld } from "../support/stripe-world";
import { createTenant, db, tableCounts } from "../support/tenants";

const email = () => `buyer-${crypto.randomUUID()}@example.test`;

async function paidCount(orderId: string) {
  const rows = await db.select().from(auditEvents).where(eq(auditEvents.subjectId, orderId));
  return rows.filter((r) => r.action === "order.paid").length;
}

describe("checkout through Stripe (official SDK, local Stripe-compatible fake)", () => {
  it.each([
    ["pm_card_visa", "paid", null],
    ["pm_card_chargeDeclined", "failed", "generic_decline"],
    ["pm_card_chargeDeclinedInsufficientFunds", "failed", "insufficient_funds"],
  ])("%s ends %s", async (method, status, declineCode) => {
    const world = stripeWorld();
    const tenant = await createTenant();
    const buyerId = `stripe-buyer-${crypto.randomUUID()}`;
    const { drop, quote } = await quotedDrop(tenant, buyerId);
    const res = await world.checkout(buyerId, { quote: quote.token, email: email(), payment_method: method });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status, payment: { provider: "stripe" } });
    expect(res.body.failure?.decline_code ?? null).toBe(declineCode);
    expect(world.fake.paymentIntents()).toHaveLength(1);
    expect(world.fake.paymentIntents()[0]?.metadata).toMatchObject({
      checkout_id: res.body.id,
      order_id: res.body.order_id,
    });
    expect(await expectInvariants(drop.id)).toMatchObject({ sold: status === "paid" ? 1 : 0, held: 0 });
  });

  it("answers 3-D Secure with the next action, then completes when the buyer's client confirms", async () => {
    const world = stripeWorld();
    const tenant = await createTenant();
    const buyerId = `stripe-3ds-${crypto.randomUUID()}`;
    const { quote } = await quotedDrop(tenant, buyerId);
    const res = await world.checkout(buyerId, {
      quote: quote.token,
      email: email(),
      payment_method: "pm_card_authenticationRequired",
      return_url: "https://shop.test/return",
    });
    expect(res.body).toMatchObject({ status: "requires_action", hold: { extended: true } });
    expect(res.body.payment.next_action.redirectUrl).toMatch(/^https:\/\//);
    world.fake.authenticate(res.body.payment.id);
    const done = await world.call("POST", `/v1/checkouts/${res.body.id}/confirm`, "{}", {
      "checkout-secret": res.body.secret,
    });
    expect(done.body).toMatchObject({ status: "paid", entitlement: { token_type: "Bearer" } });
  });

  it.each([
    ["a connection that drops after Stripe processed the create", { kind: "network_after" as const }],
    ["a 429", { kind: "rate_limit" as const }],
  ])("retries %s with the same key: one PaymentIntent, paid", async (_name, fault) => {
    const world = stripeWorld();
    const tenant = await createTenant();
    const buyerId = `stripe-retry-${crypto.randomUUID()}`;
    const { quote } = await quotedDrop(tenant, buyerId);
    world.fake.failNext(fault);
    const res = await world.checkout(buyerId, {
      quote: quote.token,
      email: email(),
      payment_method: "pm_card_visa",
    });
    expect(res.body.status).toBe("paid");
    expect(world.fake.paymentIntents()).toHaveLength(1);
    expect(world.fake.count("POST /v1/payment_intents")).toBe(2);
    const [row] = await db.select().from(checkouts).where(eq(checkouts.id, res.body.id));
    expect(row).toMatchObject({ providerAttempts: 2, providerRetries: 1 });
  });
});

describe("POST /v1/webhooks/stripe", () => {
  async function pendingWithEvents(world: ReturnType<typeof stripeWorld>) {
    const tenant = await createTenant();
    const buyerId = `stripe-webhook-${crypto.randomUUID()}`;
    const { quote } = await quotedDrop(tenant, buyerId);
    const made = (await world.checkout(buyerId, { quote: quote.token, email: email() })).body;
    expect(made.status).toBe("pending");
    // The buyer pays on the client (Stripe.js): the worker learns of it only through Stripe.
    await world.provider.confirm(made.payment.id, {
      paymentMethod: "pm_card_chargeDeclined",
      idempotencyKey: "c1",
    });
    await world.provider.confirm(made.payment.id, { paymentMethod: "pm_card_visa", idempotencyKey: "c2" });
    const byType = (type: string) => world.fake.events.find((e) => e.type === type) as FakeEvent;
    return {
      made,
      failed: byType("payment_intent.payment_failed"),
      succeeded: byType("payment_intent.succeeded"),
    };
  }

  it("gives one state change for an event delivered five times", async () => {
    const world = stripeWorld();
    const { made, succeeded } = await pendingWithEvents(world);
    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push((await world.deliver(succeeded)).body.outcome);
    expect(outcomes).toEqual(["accepted", "duplicate", "duplicate", "duplicate", "duplicate"]);
    const [row] = await db.select().from(checkouts).where(eq(checkouts.id, made.id));
    expect(row?.status).toBe("paid");
    expect(row?.completedBy).toBe("event");
    expect(await paidCount(made.order_id)).toBe(1);
  });

  it("ends paid whether the failure or the success arrives first", async () => {
    for (const order of [
      ["failed", "succeeded"],
      ["succeeded", "failed"],
    ] as const) {
      const world = stripeWorld();
      const events = await pendingWithEvents(world);
      for (const name of order) await world.deliver(events[name]);
      const [row] = await db.select().from(checkouts).where(eq(checkouts.id, events.made.id));
      expect(row?.status, order.join(" then ")).toBe("paid");
    }
  });

  it.each([
    ["one changed byte in the body", { tamper: true }],
    ["a timestamp over 300 s old", { timestamp: Math.floor(Date.now() / 1000) - 301 }],
    ["another secret", { secret: "whsec_someoneelsessecret" }],
  ])("answers 400 to %s and changes nothing", async (_name, options) => {
    const world = stripeWorld();
    const { made, succeeded } = await pendingWithEvents(world);
    const before = await tableCounts();
    const res = await world.deliver(succeeded, options);
    expect(res.status).toBe(400);
    expect(res.body.type).toMatch(/webhook-signature-invalid$/);
    expect(await tableCounts()).toEqual(before);
    const [row] = await db.select().from(checkouts).where(eq(checkouts.id, made.id));
    expect(row?.status).toBe("pending");
  });

  it("answers 400 without a Stripe-Signature header", async () => {
    const world = stripeWorld();
    const before = await tableCounts();
    const res = await world.call(
      "POST",
      "/v1/webhooks/stripe",
      JSON.stringify({ id: "evt_x", type: "payment_intent.succeeded" }),
    );
    expect(res.status).toBe(400);
    expect(await tableCounts()).toEqual(before);
  });

  it("acknowledges and stores a type it does not handle", async () => {
    const world = stripeWorld();
    const { succeeded } = await pendingWithEvents(world);
    const other = {
      ...succeeded,
      id: `evt_other_${crypto.randomUUID()}`,
      type: "customer.created",
    } as unknown as FakeEvent;
    const res = await world.deliver(other);
    expect(res.body).toEqual({ received: true, outcome: "acknowledged" });
    const [stored] = await db.select().from(paymentEvents).where(eq(paymentEvents.eventId, other.id));
    expect(stored?.processedAt).not.toBeNull();
  });
});

describe("a payment Stripe refuses outright", () => {
  it("fails the checkout with Stripe's code, releases the hold and answers 422", async () => {
    const world = stripeWorld();
    const tenant = await createTenant();
    const buyerId = `stripe-refused-${crypto.randomUUID()}`;
    const { drop, quote } = await quotedDrop(tenant, buyerId);
    const res = await world.checkout(buyerId, {
      quote: quote.token,
      email: email(),
      payment_method: "pm_does_not_exist",
    });
    expect(res.status).toBe(422);
    expect(res.body.errors[0].path).toBe("/payment_method");
    const [row] = await db.select().from(checkouts).where(eq(checkouts.dropId, drop.id));
    expect(row).toMatchObject({ status: "failed", paymentId: null });
    expect(row?.failureCode).toBeTruthy();
    expect(await expectInvariants(drop.id)).toMatchObject({ held: 0, sold: 0 });
  });
});
