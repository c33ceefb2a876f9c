import { describe, expect, it } from "vitest";
import { ProviderError, type ProviderEvent } from "../../src/payments/provider";
import { createSandboxProvider } from "../../src/payments/sandbox";
import { db } from "../support/tenants";

/** A sandbox whose emitted events are collected, as checkout's completion path would receive them. */
function sandbox() {
  const events: ProviderEvent[] = [];
  const provider = createSandboxProvider(db, {
    now: () => Date.now(),
    emit: (event) => void events.push(event),
  });
  return { provider, events, types: () => events.map((e) => e.type) };
}

const payment = (paymentMethod?: string, overrides: Record<string, unknown> = {}) => ({
  amount: 2000,
  currency: "USD",
  metadata: { order_id: "ord_test" },
  idempotencyKey: `key-${crypto.randomUUID()}`,
  ...(paymentMethod === undefined ? {} : { paymentMethod }),
  ...overrides,
});

describe("the sandbox provider follows Stripe's test cards", () => {
  it("charges 4242 4242 4242 4242 and emits payment_intent.succeeded", async () => {
    const { provider, events } = sandbox();
    const paid = await provider.create(payment("4242 4242 4242 4242"));
    expect(paid).toMatchObject({
      status: "succeeded",
      amount: 2000,
      currency: "USD",
      clientSecret: null,
      lastError: null,
    });
    expect(paid.id).toMatch(/^pi_sbx_/);
    expect(paid.latestCharge).toMatch(/^ch_sbx_/);
    expect(events).toMatchObject([
      { type: "payment_intent.succeeded", payment: { id: paid.id, status: "succeeded" } },
    ]);
    expect(events[0]?.id).toMatch(/^evt_sbx_/);
  });

  it.each([
    ["4000 0000 0000 0002", "generic_decline"],
    ["4000 0000 0000 9995", "insufficient_funds"],
    ["pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"],
    ["5555 5555 5555 4444", "test_mode_live_card"],
  ])("declines %s with %s, returned rather than thrown", async (card, declineCode) => {
    const { provider, types } = sandbox();
    const declined = await provider.create(payment(card));
    expect(declined).toMatchObject({
      status: "requires_payment_method",
      lastError: { code: "card_declined", declineCode },
      latestCharge: null,
    });
    expect(declined.clientSecret).toMatch(/_secret_/);
    expect(types()).toEqual(["payment_intent.payment_failed"]);
  });

  it("asks for 3-D Secure on 4000 0027 6000 3184, and succeeds once confirmed, exactly once under racing confirms", async () => {
    const { provider, types } = sandbox();
    const pending = await provider.create(payment("4000002760003184"));
    expect(pending).toMatchObject({ status: "requires_action", nextAction: { type: "redirect_to_url" } });
    const confirms = await Promise.all(
      [1, 2, 3].map((n) => provider.confirm(pending.id, { idempotencyKey: `confirm-${n}` })),
    );
    expect(confirms.every((p) => p.status === "succeeded")).toBe(true);
    expect(types()).toEqual(["payment_intent.requires_action", "payment_intent.succeeded"]);
  });

  it("accepts Stripe's test tokens, and a payment without a method waits for one", async () => {
    const { provider } = sandbox();
    const open = await provider.create(payment());
    expect(open).toMatchObject({ status: "requires_payment_method", lastError: null, nextAction: null });
    const paid = await provider.confirm(open.id, { paymentMethod: "pm_card_visa", idempotencyKey: "c1" });
    expect(paid.status).toBe("succeeded");
    expect(await provider.retrieve(open.id)).toEqual(paid);
  });

  it("lets a declined payment be retried with another card", async () => {
    const { provider, types } = sandbox();
    const declined = await provider.create(payment("4000000000000002"));
    const retried = await provider.confirm(declined.id, {
      paymentMethod: "4242424242424242",
      idempotencyKey: "c2",
    });
    expect(retried).toMatchObject({ status: "succeeded", lastError: null });
    expect(types()).toEqual(["payment_intent.payment_failed", "payment_intent.succeeded"]);
  });
});

describe("sandbox idempotency", () => {
  it("replays the same key and request without charging or emitting again", async () => {
    const { provider, types } = sandbox();
    const request = payment("4242424242424242");
    const first = await provider.create(request);
    const again = await provider.create(request);
    expect(again).toEqual(first);
    expect(types()).toEqual(["payment_intent.succeeded"]);
  });

  it("refuses the same key with a different request", async () => {
    const { provider } = sandbox();
    const request = payment("4242424242424242");
    await provider.create(request);
    const refused = await provider.create({ ...request, amount: 2100 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ProviderError);
    expect(refused).toMatchObject({ kind: "invalid_request", code: "idempotency_error", retryable: false });
  });

  it("creates one payment when the same key races", async () => {
    const { provider } = sandbox();
    const request = payment("4242424242424242");
    const results = await Promise.all([1, 2, 3, 4].map(() => provider.create(request)));
    expect(new Set(results.map((p) => p.id)).size).toBe(1);
  });
});

describe("sandbox cancel and refund", () => {
  it("cancels an open payment and refuses to cancel a paid one", async () => {
    const { provider, types } = sandbox();
    const open = await provider.create(payment("4000002760003184"));
    expect((await provider.cancel(open.id, { idempotencyKey: "x1" })).status).toBe("canceled");
    expect(types()).toEqual(["payment_intent.requires_action", "payment_intent.canceled"]);
    const paid = await provider.create(payment("4242424242424242"));
    await expect(provider.cancel(paid.id, { idempotencyKey: "x2" })).rejects.toMatchObject({
      code: "payment_intent_unexpected_state",
    });
    await expect(
      provider.confirm(open.id, { paymentMethod: "pm_card_visa", idempotencyKey: "x3" }),
    ).rejects.toThrow(ProviderError);
  });

  it("refunds in parts, never beyond the amount, idempotently per key, and emits charge.refunded", async () => {
    const { provider, types } = sandbox();
    const paid = await provider.create(payment("4242424242424242"));
    const part = await provider.refund(paid.id, { amount: 500, idempotencyKey: "r1" });
    expect(part).toMatchObject({ paymentId: paid.id, amount: 500, status: "succeeded" });
    expect(await provider.refund(paid.id, { amount: 500, idempotencyKey: "r1" })).toEqual(part);
    await expect(provider.refund(paid.id, { amount: 1600, idempotencyKey: "r2" })).rejects.toMatchObject({
      code: "charge_already_refunded",
    });
    const rest = await provider.refund(paid.id, { idempotencyKey: "r3" });
    expect(rest.amount).toBe(1500);
    expect((await provider.retrieve(paid.id)).amountRefunded).toBe(2000);
    expect(types().filter((t) => t === "charge.refunded")).toHaveLength(2);
  });

  it("lands exactly one of several racing full refunds", async () => {
    const { provider } = sandbox();
    const paid = await provider.create(payment("4242424242424242"));
    const results = await Promise.allSettled(
      [1, 2, 3, 4, 5].map((n) => provider.refund(paid.id, { idempotencyKey: `race-${n}` })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect((await provider.retrieve(paid.id)).amountRefunded).toBe(2000);
  });

  it("refuses to refund a payment that did not succeed", async () => {
    const { provider } = sandbox();
    const declined = await provider.create(payment("4000000000000002"));
    await expect(provider.refund(declined.id, { idempotencyKey: "r9" })).rejects.toMatchObject({
      code: "payment_intent_unexpected_state",
    });
  });
});

describe("sandbox disputes", () => {
  it("charges 4000 0000 0000 0259, then disputes it as fraudulent once, and refuses to refund it", async () => {
    const { provider, types } = sandbox();
    const paid = await provider.create(payment("4000 0000 0000 0259"));
    expect(paid.status).toBe("succeeded");
    expect(types()).toEqual(["payment_intent.succeeded", "charge.dispute.created"]);
    const [dispute] = await provider.disputes(paid.id);
    expect(dispute).toMatchObject({
      paymentId: paid.id,
      amount: 2000,
      currency: "USD",
      status: "needs_response",
      reason: "fraudulent",
    });
    expect(dispute?.id).toMatch(/^dp_sbx_/);
    // Confirming again changes nothing: one dispute, no second event.
    await provider.confirm(paid.id, { idempotencyKey: "again" });
    expect(await provider.disputes(paid.id)).toHaveLength(1);
    expect(types()).toHaveLength(2);
    await expect(provider.refund(paid.id, { idempotencyKey: "r-disputed" })).rejects.toMatchObject({
      code: "charge_disputed",
    });
  });

  it("reports no disputes for an ordinary payment", async () => {
    const { provider } = sandbox();
    const paid = await provider.create(payment("pm_card_visa"));
    expect(await provider.disputes(paid.id)).toEqual([]);
  });
});
