import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents } from "../../../src/db/schema";
import { checkout, quotedDrop } from "../../support/checkouts";
import { expectInvariants } from "../../support/drops";
import { faultyD1 } from "../../support/faults";
import type { FakeEvent } from "../../support/stripe-fake";
import { stripeWorld, WEBHOOK_SECRET } from "../../support/stripe-world";

type StripeWorld = ReturnType<typeof stripeWorld>;

import { accessOf } from "../../support/access";
import { createTenant, db } from "../../support/tenants";

const email = () => `buyer-${crypto.randomUUID()}@example.test`;

/** A paid Stripe order through the real app, on a drop of two units. */
async function paidOrder(world: StripeWorld, terms: Record<string, unknown> = {}) {
  const tenant = await createTenant();
  const buyerId = `disputing-buyer-${crypto.randomUUID()}`;
  const { drop, quote } = await quotedDrop(tenant, buyerId, { stock: 2, ...terms });
  const res = await world.checkout(buyerId, {
    quote: quote.token,
    email: email(),
    payment_method: "pm_card_visa",
  });
  expect(res.body.status).toBe("paid");
  return { tenant, drop, paid: res.body };
}

/** Stripe's events about a dispute, oldest first. */
const disputeEvents = (world: StripeWorld, disputeId: string) =>
  world.fake.events.filter(
    (e) => e.type.startsWith("charge.dispute.") && (e.data.object as { id: string }).id === disputeId,
  ) as FakeEvent[];

const deliverAll = async (world: StripeWorld, events: FakeEvent[]) => {
  for (const event of events) expect((await world.deliver(event)).status).toBe(200);
};

describe("access-without-money: disputes", () => {
  it("a buyer who charges a purchase back loses the access it granted, and the order records the dispute", async () => {
    const world = stripeWorld();
    const { paid } = await paidOrder(world);
    const before = await accessOf(paid.order_id);
    expect(before.entitlements).toEqual(["active"]);

    const dispute = world.fake.dispute(paid.payment.id);
    await deliverAll(world, disputeEvents(world, dispute.id));

    const after = await accessOf(paid.order_id);
    expect(after).toMatchObject({
      order: "paid",
      dispute: "needs_response",
      disputeId: dispute.id,
      entitlements: ["revoked:chargeback"],
      audits: ["order.disputed"],
    });
    expect(after.disputedAt).toBeGreaterThan(0);
    expect(after.tokenVersion).toBe(before.tokenVersion + 1);
  });

  it("a chargeback delivered twice, with its funds_withdrawn, revokes once and writes one audit row", async () => {
    const world = stripeWorld();
    const { paid } = await paidOrder(world);
    const before = await accessOf(paid.order_id);
    const dispute = world.fake.dispute(paid.payment.id);
    const events = disputeEvents(world, dispute.id);
    expect(events.map((e) => e.type)).toEqual(["charge.dispute.created", "charge.dispute.funds_withdrawn"]);
    // Redelivered by Stripe, and the same dispute re-sent under a new event id (as a replay tool would).
    const [created] = events;
    if (created === undefined) throw new Error("no created event");
    const resent = { ...created, id: `${created.id}x` } as FakeEvent;
    await deliverAll(world, [...events, created, resent, ...events]);

    const after = await accessOf(paid.order_id);
    expect(after).toMatchObject({ entitlements: ["revoked:chargeback"], audits: ["order.disputed"] });
    expect(after.tokenVersion).toBe(before.tokenVersion + 1);
  });

  it("a lost chargeback whose closed event arrives before its created event ends revoked and lost, restocked once by the drop's policy", async () => {
    const world = stripeWorld();
    const { drop, paid } = await paidOrder(world, { restock_on_refund: true });
    expect(await expectInvariants(drop.id)).toMatchObject({ sold: 1, available: 1 });
    const dispute = world.fake.dispute(paid.payment.id);
    world.fake.resolveDispute(dispute.id, "losing_evidence");
    const events = disputeEvents(world, dispute.id);
    expect(events.map((e) => e.type)).toContain("charge.dispute.closed");

    await deliverAll(world, [...events].reverse());
    await deliverAll(world, events);

    expect(await accessOf(paid.order_id)).toMatchObject({
      order: "paid",
      dispute: "lost",
      entitlements: ["revoked:chargeback"],
      audits: ["order.dispute_lost"],
    });
    expect(await expectInvariants(drop.id)).toMatchObject({ sold: 0, available: 2 });
  });

  it("a lost chargeback whose D1 batch lands but whose answer is lost still restocks by the drop's policy on redelivery", async () => {
    const world = stripeWorld();
    const { drop, paid } = await paidOrder(world, { restock_on_refund: true });
    const dispute = world.fake.dispute(paid.payment.id);
    world.fake.resolveDispute(dispute.id, "losing_evidence");
    const [first, ...rest] = disputeEvents(world, dispute.id);
    if (first === undefined) throw new Error("no dispute event");
    // The inbox stores the event (write 0); the dispute's batch (write 1) lands, its answer is lost.
    const faulty = faultyD1(env.DB, { kind: "d1", at: 1, counting: "write", mode: "lost_answer" });
    const delivery = await world.fake.signedDelivery(first, WEBHOOK_SECRET);
    const res = await world.app.fetch(
      new Request("http://api.test/v1/webhooks/stripe", {
        method: "POST",
        headers: { "content-type": "application/json", ...delivery.headers },
        body: delivery.body,
      }),
      { ...world.bindings, DB: faulty.binding },
      world.executionContext(),
    );
    expect(res.status).toBe(200);
    // The webhook answered first; any call through the world waits for the handling it deferred.
    await world.call("GET", "/openapi.json");
    expect(faulty.tripped()).toMatch(/lost_answer at D1 write 1 \(batch/);
    expect(await accessOf(paid.order_id)).toMatchObject({
      dispute: "lost",
      entitlements: ["revoked:chargeback"],
    });
    // Stripe's other events about the dispute still arrive: the units go back on sale, once.
    await deliverAll(world, [first, ...rest]);
    expect(await expectInvariants(drop.id)).toMatchObject({ sold: 0, available: 2 });
    expect((await accessOf(paid.order_id)).audits).toEqual(["order.dispute_lost"]);
  });

  it("a dispute the creator wins does not hand access back by itself", async () => {
    const world = stripeWorld();
    const { tenant, paid } = await paidOrder(world);
    const dispute = world.fake.dispute(paid.payment.id);
    await deliverAll(world, disputeEvents(world, dispute.id));
    const revoked = await accessOf(paid.order_id);
    expect(revoked.entitlements).toEqual(["revoked:chargeback"]);

    const seen = world.fake.events.length;
    world.fake.resolveDispute(dispute.id, "winning_evidence");
    await deliverAll(world, world.fake.events.slice(seen));

    const after = await accessOf(paid.order_id);
    expect(after).toMatchObject({
      order: "paid",
      dispute: "won",
      entitlements: ["revoked:chargeback"],
      audits: ["order.disputed", "order.dispute_won"],
    });
    // Nothing was granted again, so no token was invalidated again either.
    expect(after.tokenVersion).toBe(revoked.tokenVersion);
    // With the money back, the creator may still refund it; access stays revoked.
    const refunded = await world.call("POST", `/v1/orders/${paid.order_id}/refund`, "{}", {
      authorization: `Bearer ${tenant.key}`,
    });
    expect([refunded.status, refunded.body.status]).toEqual([200, "refunded"]);
    expect((await accessOf(paid.order_id)).entitlements).toEqual(["revoked:chargeback"]);
  });

  it("an inquiry is recorded without revoking; once the bank escalates it to a chargeback, access is revoked", async () => {
    const world = stripeWorld();
    const { paid } = await paidOrder(world);
    const dispute = world.fake.dispute(paid.payment.id, "inquiry");
    await deliverAll(world, disputeEvents(world, dispute.id));
    expect(await accessOf(paid.order_id)).toMatchObject({
      dispute: "warning_needs_response",
      entitlements: ["active"],
      audits: ["order.dispute_inquiry"],
    });

    const seen = world.fake.events.length;
    world.fake.resolveDispute(dispute.id, "losing_evidence");
    await deliverAll(world, world.fake.events.slice(seen));
    expect(await accessOf(paid.order_id)).toMatchObject({
      dispute: "needs_response",
      entitlements: ["revoked:chargeback"],
    });
  });

  it("a chargeback delivered before its payment's success still leaves no access, and the late success grants nothing", async () => {
    const world = stripeWorld();
    const tenant = await createTenant();
    const buyerId = `early-dispute-${crypto.randomUUID()}`;
    const { quote } = await quotedDrop(tenant, buyerId);
    const made = (await world.checkout(buyerId, { quote: quote.token, email: email() })).body;
    expect(made.status).toBe("pending");
    // The buyer pays on the client with Stripe's dispute test card; the bank disputes at once.
    await world.provider.confirm(made.payment.id, {
      paymentMethod: "pm_card_createDispute",
      idempotencyKey: "c1",
    });
    const byType = (type: string) => world.fake.events.find((e) => e.type === type) as FakeEvent;

    await world.deliver(byType("charge.dispute.created"));
    await world.deliver(byType("payment_intent.succeeded"));

    expect(await accessOf(made.order_id)).toMatchObject({
      order: "paid",
      dispute: "needs_response",
      entitlements: ["revoked:chargeback"],
      paidAudits: 1,
    });
  });

  it("a charged-back order cannot be refunded on top of the chargeback: 409, not 500", async () => {
    const world = stripeWorld();
    const { tenant, paid } = await paidOrder(world);
    const dispute = world.fake.dispute(paid.payment.id);
    await deliverAll(world, disputeEvents(world, dispute.id));
    const res = await world.call("POST", `/v1/orders/${paid.order_id}/refund`, "{}", {
      authorization: `Bearer ${tenant.key}`,
    });
    expect(res.status).toBe(409);
    expect(res.body.detail).toMatch(/dispute/i);
    expect(world.fake.refunds()).toHaveLength(0);
  });

  it("the sandbox's dispute card (4000 0000 0000 0259) pays, and its chargeback revokes what it granted", async () => {
    const tenant = await createTenant();
    const buyerId = `sandbox-dispute-${crypto.randomUUID()}`;
    const { quote } = await quotedDrop(tenant, buyerId);
    const res = await checkout(
      { quote: quote.token, email: email(), payment_method: "4000000000000259" },
      { buyerId },
    );
    expect(res.status).toBe(201);
    const state = await accessOf(res.body.order_id);
    expect(state).toMatchObject({
      order: "paid",
      dispute: "needs_response",
      entitlements: ["revoked:chargeback"],
      audits: ["order.disputed"],
    });
    const [row] = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.subjectId, res.body.order_id), eq(auditEvents.action, "order.disputed")));
    expect(JSON.parse(row?.data ?? "{}")).toMatchObject({ reason: "fraudulent", revoked: true });
  });
});
