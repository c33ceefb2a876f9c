import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { accessOf } from "../../support/access";
import { api } from "../../support/api";
import { checkout, quotedDrop } from "../../support/checkouts";
import { expectInvariants } from "../../support/drops";
import { faultyD1 } from "../../support/faults";
import { stripeWorld } from "../../support/stripe-world";
import { createTenant, type Tenant } from "../../support/tenants";

const email = () => `buyer-${crypto.randomUUID()}@example.test`;

/** A paid Stripe checkout through the real app, and the creator's refund call for it. */
async function paidThroughStripe() {
  const world = stripeWorld();
  const tenant = await createTenant();
  const buyerId = `refund-attack-${crypto.randomUUID()}`;
  const { quote } = await quotedDrop(tenant, buyerId);
  const paid = await world.checkout(buyerId, {
    quote: quote.token,
    email: email(),
    payment_method: "pm_card_visa",
  });
  expect(paid.body.status).toBe("paid");
  const refund = (body: Record<string, unknown> = {}, key?: string) =>
    world.call("POST", `/v1/orders/${paid.body.order_id}/refund`, JSON.stringify(body), {
      authorization: `Bearer ${tenant.key}`,
      ...(key === undefined ? {} : { "idempotency-key": key }),
    });
  return { world, tenant, paid: paid.body, refund };
}

/** A paid sandbox checkout through the deployed worker's own entry point. */
async function paidThroughSandbox(tenant: Tenant) {
  const buyerId = `refund-replay-${crypto.randomUUID()}`;
  const { quote } = await quotedDrop(tenant, buyerId);
  const paid = await checkout(
    { quote: quote.token, email: email(), payment_method: "4242424242424242" },
    { buyerId },
  );
  expect(paid.body.status).toBe("paid");
  return paid.body;
}

/** A paid order, and a refund call that always sends the same Idempotency-Key. */
async function refundsUnderOneKey() {
  const tenant = await createTenant();
  const paid = await paidThroughSandbox(tenant);
  const key = `refund-${crypto.randomUUID()}`;
  const call = (body: Record<string, unknown>) =>
    api("POST", `/v1/orders/${paid.order_id}/refund`, {
      key: tenant.key,
      body,
      headers: { "idempotency-key": key },
    });
  return { paid, call };
}

describe("money-without-access: refunds", () => {
  it("an order refunded in the Stripe dashboard (its webhook lost) still keeps no access: the API refund reconciles it instead of answering 500", async () => {
    const { world, paid, refund } = await paidThroughStripe();
    const before = await accessOf(paid.order_id);
    expect(before).toMatchObject({ order: "paid", entitlements: ["active"] });
    // The creator refunds in Stripe's dashboard; the charge.refunded event never reaches us.
    await world.provider.refund(paid.payment.id, { idempotencyKey: "dashboard-refund" });

    const res = await refund();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ object: "order", status: "refunded" });
    const after = await accessOf(paid.order_id);
    expect(after).toMatchObject({ order: "refunded", entitlements: ["revoked:refund"], refundAudits: 1 });
    expect(after.tokenVersion).toBe((before.tokenVersion ?? 0) + 1);
    // Stripe refunded once (the dashboard's); our call created no second refund.
    expect(world.fake.refunds()).toHaveLength(1);
  });

  it("a creator retrying a refund after a crash with another reason gets the refund reconciled, not a 500 from Stripe's idempotency error", async () => {
    const { world, paid, refund } = await paidThroughStripe();
    // The first attempt reached Stripe (key refund:<order>), then the answer was lost.
    world.fake.failNext({ kind: "network_after" }, 4);
    expect((await refund({ reason: "duplicate" })).status).toBe(503);
    const res = await refund({ reason: "fraudulent" });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("refunded");
    expect(await accessOf(paid.order_id)).toMatchObject({
      order: "refunded",
      entitlements: ["revoked:refund"],
    });
    expect(world.fake.refunds()).toHaveLength(1);
  });

  it("a refund whose D1 batch lands but whose answer is lost still puts the units back on sale, once", async () => {
    const world = stripeWorld();
    const tenant = await createTenant();
    const buyerId = `refund-lost-answer-${crypto.randomUUID()}`;
    const { drop, quote } = await quotedDrop(tenant, buyerId, { stock: 2, restock_on_refund: true });
    const paid = (
      await world.checkout(buyerId, { quote: quote.token, email: email(), payment_method: "pm_card_visa" })
    ).body;
    expect(await expectInvariants(drop.id)).toMatchObject({ sold: 1, available: 1 });
    // The refund's own batch (its first write) reaches D1 and lands; the worker sees an error.
    const faulty = faultyD1(env.DB, { kind: "d1", at: 0, counting: "write", mode: "lost_answer" });
    const res = await world.app.fetch(
      new Request(`http://api.test/v1/orders/${paid.order_id}/refund`, {
        method: "POST",
        headers: { authorization: `Bearer ${tenant.key}`, "content-type": "application/json" },
        body: "{}",
      }),
      { ...world.bindings, DB: faulty.binding },
      world.executionContext(),
    );
    expect(faulty.tripped()).toMatch(/lost_answer/);
    expect(res.status).toBe(200);
    expect(await accessOf(paid.order_id)).toMatchObject({
      order: "refunded",
      entitlements: ["revoked:refund"],
    });
    expect(await expectInvariants(drop.id)).toMatchObject({ sold: 0, available: 2 });
    // The charge.refunded event arriving later changes nothing more.
    await world.deliverAll(paid.payment.id);
    expect(await expectInvariants(drop.id)).toMatchObject({ sold: 0, available: 2 });
    expect((await accessOf(paid.order_id)).refundAudits).toBe(1);
  });

  it("a replayed refund with the same Idempotency-Key answers the stored response, marked replayed, and refunds once", async () => {
    const { paid, call } = await refundsUnderOneKey();
    const first = await call({ reason: "requested_by_customer" });
    expect(first.status).toBe(200);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const replay = await call({ reason: "requested_by_customer" });
    expect(replay.status).toBe(200);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body).toEqual(first.body);
    expect(await accessOf(paid.order_id)).toMatchObject({ order: "refunded", refundAudits: 1 });
  });

  it("the same Idempotency-Key sent with another refund body is refused with 422", async () => {
    const { call } = await refundsUnderOneKey();
    expect((await call({ reason: "requested_by_customer" })).status).toBe(200);
    const other = await call({ reason: "fraudulent" });
    expect(other.status).toBe(422);
    expect(other.body.type).toMatch(/\/idempotency-key-reused$/);
  });
});
