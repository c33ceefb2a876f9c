import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { fromProviderEvent, ingestEvent } from "../../src/checkout/events";
import { sweepCheckouts } from "../../src/checkout/sweep";
import { auditEvents, checkouts, entitlements, orders } from "../../src/db/schema";
import { inventoryGateway } from "../../src/inventory/gateway";
import type { ProviderEvent } from "../../src/payments/provider";
import { createSandboxProvider } from "../../src/payments/sandbox";
import { api } from "../support/api";
import { checkout, confirm, quotedDrop, readCheckout } from "../support/checkouts";
import { expectInvariants } from "../support/drops";
import { introspect } from "../support/entitlements";
import { buyer, quote } from "../support/quotes";
import { createTenant, db } from "../support/tenants";

const email = () => `buyer-${crypto.randomUUID()}@example.test`;

/** The completion path's context with the sandbox, collecting its events instead of delivering them. */
function providerSide() {
  const emitted: ProviderEvent[] = [];
  const provider = createSandboxProvider(db, { now: () => Date.now(), emit: (e) => void emitted.push(e) });
  const ctx = { db, inventory: inventoryGateway(env.DROP_INVENTORY, db), provider, now: Date.now() };
  const deliver = (event: ProviderEvent) => ingestEvent(ctx, fromProviderEvent(event));
  return { emitted, provider, deliver, ctx };
}

async function stateOf(checkoutId: string, orderId: string) {
  const [row] = await db.select().from(checkouts).where(eq(checkouts.id, checkoutId));
  const [order] = await db.select().from(orders).where(eq(orders.id, orderId));
  const granted = await db.select().from(entitlements).where(eq(entitlements.sourceId, orderId));
  const audits = await db.select().from(auditEvents).where(eq(auditEvents.subjectId, orderId));
  const count = (action: string) => audits.filter((a) => a.action === action).length;
  return {
    checkout: row?.status,
    order: order?.status,
    entitlements: granted.map((e) => (e.revokedAt === null ? "active" : `revoked:${e.revokeReason}`)),
    paid: count("order.paid"),
    refunded: count("order.refunded"),
  };
}

/** A pending checkout (no method yet) on a shared drop, for `buyerId`. */
async function pendingCheckout(offerId: string, dropId: string, buyerId: string) {
  const quoted = await quote({ offer_id: offerId, drop_id: dropId }, buyer(buyerId));
  const res = await checkout({ quote: quoted.body.token, email: email() }, { buyerId });
  expect(res.body.status).toBe("pending");
  return res.body;
}

const permutations = <T>(items: T[]): T[][] =>
  items.length <= 1
    ? [items]
    : items.flatMap((x, i) =>
        permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((p) => [x, ...p]),
      );

describe("completion converges from both sides, exactly once", () => {
  it("ends refunded with access revoked for every ordering of succeeded, payment_failed, charge.refunded and confirm", async () => {
    const tenant = await createTenant();
    const { drop } = await quotedDrop(tenant, "ordering-seed-buyer", { stock: 50 });
    const orderings = permutations([
      "payment_intent.succeeded",
      "payment_intent.payment_failed",
      "charge.refunded",
      "confirm",
    ]);
    expect(orderings).toHaveLength(24);
    for (const [n, ordering] of orderings.entries()) {
      const made = await pendingCheckout(drop.offer_id, drop.id, `ordering-buyer-${n}`);
      const side = providerSide();
      // What really happened at the processor: a decline, a successful retry, then a full refund.
      await side.provider.confirm(made.payment.id, {
        paymentMethod: "4000000000000002",
        idempotencyKey: `d${n}`,
      });
      await side.provider.confirm(made.payment.id, {
        paymentMethod: "4242424242424242",
        idempotencyKey: `s${n}`,
      });
      await side.provider.refund(made.payment.id, { idempotencyKey: `r${n}` });
      const byType = new Map(side.emitted.map((e) => [e.type, e]));
      for (const step of ordering) {
        if (step === "confirm") expect((await confirm(made.id, made.secret)).status).toBe(200);
        else await side.deliver(byType.get(step as ProviderEvent["type"]) as ProviderEvent);
      }
      expect(await stateOf(made.id, made.order_id), ordering.join(" → ")).toEqual({
        checkout: "refunded",
        order: "refunded",
        entitlements: ["revoked:refund"],
        paid: 1,
        refunded: 1,
      });
    }
    // The drop keeps refunded units sold (restock_on_refund is off by default); nothing is oversold or stranded.
    expect(await expectInvariants(drop.id)).toMatchObject({ sold: 24, held: 0 });
    // Twenty-four checkouts in a row: well past the default 5 s on a loaded CI machine.
  }, 60_000);

  it("gives one state change for a webhook delivered five times", async () => {
    const tenant = await createTenant();
    const { drop } = await quotedDrop(tenant, "redelivery-seed", { stock: 5 });
    const made = await pendingCheckout(drop.offer_id, drop.id, "redelivery-buyer");
    const side = providerSide();
    await side.provider.confirm(made.payment.id, {
      paymentMethod: "4242424242424242",
      idempotencyKey: "once",
    });
    const [succeeded] = side.emitted;
    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push(await side.deliver(succeeded as ProviderEvent));
    expect(outcomes).toEqual(["processed", "duplicate", "duplicate", "duplicate", "duplicate"]);
    expect(await stateOf(made.id, made.order_id)).toMatchObject({
      checkout: "paid",
      paid: 1,
      entitlements: ["active"],
    });
  });

  it("acknowledges event types it does not handle, and defers an event whose checkout it cannot find", async () => {
    const side = providerSide();
    const payment = await side.provider.create({
      amount: 100,
      currency: "USD",
      metadata: {},
      idempotencyKey: `orphan-${crypto.randomUUID()}`,
      paymentMethod: "4242424242424242",
    });
    const [event] = side.emitted;
    expect(await side.deliver(event as ProviderEvent)).toBe("deferred");
    const other = {
      id: `evt_${crypto.randomUUID()}`,
      type: "customer.created",
      paymentId: null,
      payload: {},
    };
    expect(
      await ingestEvent(
        { db, inventory: inventoryGateway(env.DROP_INVENTORY, db), provider: side.provider, now: Date.now() },
        other,
      ),
    ).toBe("acknowledged");
    expect(payment.status).toBe("succeeded");
  });
});

describe("a payment that succeeds after its hold lapsed", () => {
  it("re-reserves while stock remains, and completes", async () => {
    const tenant = await createTenant();
    const buyerId = "late-buyer-with-stock";
    const { drop, quote: quoted } = await quotedDrop(tenant, buyerId, { stock: 3 });
    const made = (
      await checkout({ quote: quoted.token, email: email(), payment_method: "4000002760003184" }, { buyerId })
    ).body;
    await inventoryGateway(env.DROP_INVENTORY, db).release(drop.id, made.hold.id, `anon:${buyerId}`);
    const done = await confirm(made.id, made.secret);
    expect(done.body).toMatchObject({ status: "paid", entitlement: { entitlements: [drop.offer_id] } });
    expect(done.body.hold.id).not.toBe(made.hold.id);
    expect(await expectInvariants(drop.id)).toMatchObject({ sold: 1, held: 0, available: 2 });
  });

  it("refunds automatically when the drop sold out meanwhile, recording why, and grants nothing", async () => {
    const tenant = await createTenant();
    const { drop, quote: first } = await quotedDrop(tenant, "late-buyer-sold-out", { stock: 1 });
    const late = (
      await checkout(
        { quote: first.token, email: email(), payment_method: "4000002760003184" },
        { buyerId: "late-buyer-sold-out" },
      )
    ).body;
    await inventoryGateway(env.DROP_INVENTORY, db).release(drop.id, late.hold.id, "anon:late-buyer-sold-out");
    const second = await quote({ offer_id: drop.offer_id, drop_id: drop.id }, buyer("second-buyer-takes-it"));
    const winner = await checkout(
      { quote: second.body.token, email: email(), payment_method: "4242424242424242" },
      { buyerId: "second-buyer-takes-it" },
    );
    expect(winner.body.status).toBe("paid");
    const done = await confirm(late.id, late.secret);
    expect(done.body).toMatchObject({
      status: "refunded",
      auto_refund_reason: "paid_after_hold_expired_sold_out",
      entitlement: null,
    });
    expect(await stateOf(late.id, late.order_id)).toMatchObject({
      order: "refunded",
      entitlements: [],
      paid: 0,
      refunded: 1,
    });
    const side = providerSide();
    expect((await side.provider.retrieve(late.payment.id)).amountRefunded).toBe(late.amount);
    expect(await expectInvariants(drop.id)).toMatchObject({ sold: 1, held: 0, available: 0 });
  });
});

describe("POST /v1/orders/{id}/refund and the receipt", () => {
  it("refunds in full, revokes access at once, and repeats harmlessly", async () => {
    const tenant = await createTenant();
    const buyerId = "refund-route-buyer";
    const { quote: quoted } = await quotedDrop(tenant, buyerId);
    const paid = (
      await checkout({ quote: quoted.token, email: email(), payment_method: "4242424242424242" }, { buyerId })
    ).body;
    const { entitlement } = (await readCheckout(paid.id, paid.secret)).body;
    expect((await introspect(entitlement.token, tenant.creatorId)).status).toBe(200);

    const refunded = await api("POST", `/v1/orders/${paid.order_id}/refund`, { key: tenant.key, body: {} });
    expect(refunded.body).toMatchObject({ object: "order", status: "refunded", amount: paid.amount });
    expect((await introspect(entitlement.token, tenant.creatorId)).status).toBe(410);
    const again = await api("POST", `/v1/orders/${paid.order_id}/refund`, { key: tenant.key, body: {} });
    expect(again.body.status).toBe("refunded");
    expect(await stateOf(paid.id, paid.order_id)).toMatchObject({
      refunded: 1,
      entitlements: ["revoked:refund"],
    });

    const stranger = await createTenant();
    expect(
      (await api("POST", `/v1/orders/${paid.order_id}/refund`, { key: stranger.key, body: {} })).status,
    ).toBe(404);
  });

  it("puts the units back on sale when the drop's policy says so, once", async () => {
    const tenant = await createTenant();
    const buyerId = "restock-policy-buyer";
    const { drop, quote: quoted } = await quotedDrop(tenant, buyerId, { stock: 2, restock_on_refund: true });
    expect(drop.restock_on_refund).toBe(true);
    const paid = (
      await checkout({ quote: quoted.token, email: email(), payment_method: "4242424242424242" }, { buyerId })
    ).body;
    expect(await expectInvariants(drop.id)).toMatchObject({ sold: 1, available: 1 });
    await api("POST", `/v1/orders/${paid.order_id}/refund`, { key: tenant.key, body: {} });
    expect(await expectInvariants(drop.id)).toMatchObject({ sold: 0, held: 0, available: 2 });
    await api("POST", `/v1/orders/${paid.order_id}/refund`, { key: tenant.key, body: {} });
    expect(await expectInvariants(drop.id)).toMatchObject({ sold: 0, available: 2 });
  });

  it("refuses to refund an order that was not paid (409)", async () => {
    const tenant = await createTenant();
    const buyerId = "refund-unpaid-buyer";
    const { quote: quoted } = await quotedDrop(tenant, buyerId);
    const declined = (
      await checkout({ quote: quoted.token, email: email(), payment_method: "4000000000000002" }, { buyerId })
    ).body;
    expect(
      (await api("POST", `/v1/orders/${declined.order_id}/refund`, { key: tenant.key, body: {} })).status,
    ).toBe(409);
  });

  it("gives the buyer a receipt with the lines, the payment reference and the entitlement", async () => {
    const tenant = await createTenant();
    const buyerId = "receipt-buyer-01";
    const { drop, quote: quoted } = await quotedDrop(tenant, buyerId);
    const paid = (
      await checkout({ quote: quoted.token, email: email(), payment_method: "4242424242424242" }, { buyerId })
    ).body;
    const res = await api("GET", `/v1/orders/${paid.order_id}/receipt`, {
      headers: { "checkout-secret": paid.secret },
    });
    expect(res.body).toMatchObject({
      object: "receipt",
      status: "paid",
      amount: quoted.total,
      currency: "USD",
      lines: quoted.lines,
      payment: { provider: "sandbox", id: paid.payment.id },
      entitlements: [{ benefit_key: drop.offer_id, revoked_at: null }],
    });
    const wrong = await api("GET", `/v1/orders/${paid.order_id}/receipt`, {
      headers: { "checkout-secret": `${paid.id}_secret_x` },
    });
    expect(wrong.status).toBe(404);
    const [row] = await db
      .select()
      .from(checkouts)
      .where(and(eq(checkouts.id, paid.id)));
    // Stored for reporting: when success was learned, when the entitlement landed, what the provider cost.
    expect(row?.paymentSucceededAt).toBeGreaterThan(0);
    expect(row?.entitlementIssuedAt).toBeGreaterThanOrEqual(
      row?.paymentSucceededAt ?? Number.POSITIVE_INFINITY,
    );
    expect(row).toMatchObject({ providerAttempts: 1, providerRetries: 0, completedBy: "confirm" });
  });
});

describe("the cron's sweep of abandoned checkouts", () => {
  async function lapsedAt(checkoutId: string) {
    const [row] = await db.select().from(checkouts).where(eq(checkouts.id, checkoutId));
    return (row?.holdExpiresAt ?? 0) + 1000;
  }

  it("cancels the payment of a checkout whose hold lapsed unpaid, and gives the units back", async () => {
    const tenant = await createTenant();
    const buyerId = "abandoning-buyer";
    const { drop, quote: quoted } = await quotedDrop(tenant, buyerId, { stock: 2 });
    const made = (
      await checkout({ quote: quoted.token, email: email(), payment_method: "4000002760003184" }, { buyerId })
    ).body;
    expect(made.status).toBe("requires_action");
    const side = providerSide();
    const swept = await sweepCheckouts({ ...side.ctx, now: await lapsedAt(made.id), emitted: side.emitted });
    expect(swept.abandoned).toBeGreaterThanOrEqual(1);
    expect(await stateOf(made.id, made.order_id)).toMatchObject({
      checkout: "expired",
      order: "cancelled",
      paid: 0,
    });
    expect((await side.provider.retrieve(made.payment.id)).status).toBe("canceled");
    expect(await expectInvariants(drop.id)).toMatchObject({ held: 0, available: 2 });
    // The buyer comes back too late: nothing changes.
    expect((await confirm(made.id, made.secret)).body.status).toBe("expired");
  });

  it("expires a checkout whose opening request died before creating its payment", async () => {
    const tenant = await createTenant();
    const buyerId = "opened-but-never-paid";
    const { quote: quoted } = await quotedDrop(tenant, buyerId, { stock: 2 });
    const made = (await checkout({ quote: quoted.token, email: email() }, { buyerId })).body;
    await db.update(checkouts).set({ paymentId: null }).where(eq(checkouts.id, made.id));
    const side = providerSide();
    await sweepCheckouts({ ...side.ctx, now: await lapsedAt(made.id), emitted: side.emitted });
    expect(await stateOf(made.id, made.order_id)).toMatchObject({ checkout: "expired", order: "cancelled" });
  });

  it("completes a checkout whose payment succeeded meanwhile instead of cancelling it", async () => {
    const tenant = await createTenant();
    const buyerId = "paid-at-the-last-second";
    const { quote: quoted } = await quotedDrop(tenant, buyerId, { stock: 2 });
    const made = (await checkout({ quote: quoted.token, email: email() }, { buyerId })).body;
    const side = providerSide();
    await side.provider.confirm(made.payment.id, {
      paymentMethod: "4242424242424242",
      idempotencyKey: "late",
    });
    side.emitted.length = 0;
    await sweepCheckouts({ ...side.ctx, now: await lapsedAt(made.id), emitted: side.emitted });
    expect(await stateOf(made.id, made.order_id)).toMatchObject({ checkout: "paid", order: "paid", paid: 1 });
  });
});
