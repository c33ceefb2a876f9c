/**
 * Money without access, through checkout: a payment that lands must end in access (or a refund), and
 * nobody reusing a key, losing an answer or meeting a transient failure can undo a paid order.
 */
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { couponRedemptions, coupons, entitlements, idempotencyKeys, orders } from "../../../src/db/schema";
import { api } from "../../support/api";
import { quotedDrop } from "../../support/checkouts";
import { createOffer } from "../../support/fixtures";
import { buyer, quote } from "../../support/quotes";
import { stripeWorld } from "../../support/stripe-world";
import { createTenant, db, type Tenant } from "../../support/tenants";

const email = () => `buyer-${crypto.randomUUID()}@example.test`;

async function createCoupon(tenant: Tenant, body: Record<string, unknown>) {
  const res = await api("POST", "/v1/coupons", { key: tenant.key, body });
  if (res.status !== 201) throw new Error(`coupon refused: ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * A D1 binding that is the real database, except that the first `times` batches of at least `size`
 * statements fail as a dropped connection would (before anything lands).
 */
function flakyDb(size: number, times = 1) {
  let tripped = 0;
  return new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          if (tripped < times && statements.length >= size) {
            tripped += 1;
            throw new Error("D1_ERROR: Network connection lost.");
          }
          return target.batch(statements);
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

describe("money-without-access: checkout", () => {
  it("a lapsed Idempotency-Key reused with another quote never rewrites or fails a paid checkout", async () => {
    const world = stripeWorld();
    const tenant = await createTenant();
    const owner = `owner-${crypto.randomUUID()}`;
    const { quote: q } = await quotedDrop(tenant, owner);
    const key = `shared-${crypto.randomUUID()}`;
    const paid = (
      await world.checkout(owner, { quote: q.token, email: email(), payment_method: "pm_card_visa" }, key)
    ).body;
    expect(paid.status).toBe("paid");
    // 24 hours later the hourly cron has purged the key.
    await db.delete(idempotencyKeys).where(eq(idempotencyKeys.key, key));
    const attacker = `attacker-${crypto.randomUUID()}`;
    const { quote: other } = await quotedDrop(tenant, attacker);
    const refused = await world.checkout(
      attacker,
      { quote: other.token, email: email(), payment_method: "pm_does_not_exist" },
      key,
    );
    expect(refused.status).toBe(422);
    const read = await world.call("GET", `/v1/checkouts/${paid.id}`, undefined, {
      "checkout-secret": paid.secret,
    });
    expect(read.status).toBe(200);
    expect(read.body.status).toBe("paid");
    const [order] = await db.select().from(orders).where(eq(orders.id, paid.order_id));
    expect(order?.status).toBe("paid");
    const refund = await world.call("POST", `/v1/orders/${paid.order_id}/refund`, "{}", {
      authorization: `Bearer ${tenant.key}`,
    });
    expect(refund.status).toBe(200);
  });

  it("the same key and quote again after the checkout was paid answers 409 and takes nothing over", async () => {
    const world = stripeWorld();
    const tenant = await createTenant();
    const owner = `owner-${crypto.randomUUID()}`;
    const { drop, quote: q } = await quotedDrop(tenant, owner);
    const key = `again-${crypto.randomUUID()}`;
    const body = { quote: q.token, email: email(), payment_method: "pm_card_visa" };
    const paid = (await world.checkout(owner, body, key)).body;
    await db.delete(idempotencyKeys).where(eq(idempotencyKeys.key, key));
    const again = await world.checkout(owner, body, key);
    expect(again.status).toBe(409);
    const read = await world.call("GET", `/v1/checkouts/${paid.id}`, undefined, {
      "checkout-secret": paid.secret,
    });
    expect(read.body.status).toBe("paid");
    const stock = await api("GET", `/v1/drops/${drop.id}/stock`);
    expect(stock.body).toMatchObject({ sold: 1, held: 0 });
  });

  it("a payment completed by webhook after the create's answer was lost records its payment id, so it can be refunded", async () => {
    const world = stripeWorld();
    const tenant = await createTenant();
    const buyerId = `lost-${crypto.randomUUID()}`;
    const { quote: q } = await quotedDrop(tenant, buyerId);
    // Every attempt (the first and its three retries) is processed by Stripe and its answer lost.
    world.fake.failNext({ kind: "network_after" }, 4);
    const lost = await world.checkout(buyerId, {
      quote: q.token,
      email: email(),
      payment_method: "pm_card_visa",
    });
    expect(lost.status).toBe(503);
    const [intent] = world.fake.paymentIntents();
    expect(intent?.status).toBe("succeeded");
    await world.deliverAll(intent?.id ?? "");
    const [order] = await db.select().from(orders).where(eq(orders.quoteId, q.id));
    expect(order).toMatchObject({ status: "paid", providerPaymentId: intent?.id });
    const refund = await world.call("POST", `/v1/orders/${order?.id}/refund`, "{}", {
      authorization: `Bearer ${tenant.key}`,
    });
    expect(refund.status).toBe(200);
    expect(refund.body.status).toBe("refunded");
  });

  it("a transient D1 failure in the paid batch never lands the order without its coupon redemption", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const coupon = await createCoupon(tenant, {
      code: `TEN${crypto.randomUUID().slice(0, 6)}`,
      percent_off: 10,
    });
    const buyerId = `flaky-${crypto.randomUUID()}`;
    const q = await quote({ offer_id: offer.id, coupon: coupon.code }, buyer(buyerId));
    expect(q.status).toBe(201);
    const world = stripeWorld();
    const pending = (await world.checkout(buyerId, { quote: q.body.token, email: email() })).body;
    const paidAtStripe = await world.provider.confirm(pending.payment.id, {
      paymentMethod: "pm_card_visa",
      idempotencyKey: `c-${pending.id}`,
    });
    // The buyer's confirm meets a dropped D1 connection on both batches that would land the payment:
    // the one-batch completion's, then the general path's.
    const res = await world.app.fetch(
      new Request(`http://api.test/v1/checkouts/${pending.id}/confirm`, {
        method: "POST",
        headers: { "content-type": "application/json", "checkout-secret": pending.secret },
        body: "{}",
      }),
      { ...world.bindings, DB: flakyDb(8, 2) },
      world.executionContext(),
    );
    expect(res.status).toBeGreaterThanOrEqual(500);
    const [order] = await db.select().from(orders).where(eq(orders.id, pending.order_id));
    expect(order?.status).toBe("pending");
    // The webhook (or the buyer's retry) lands both the order and its redemption.
    await world.deliverAll(paidAtStripe.id);
    const [after] = await db.select().from(orders).where(eq(orders.id, pending.order_id));
    expect(after?.status).toBe("paid");
    const redeemed = await db
      .select()
      .from(couponRedemptions)
      .where(and(eq(couponRedemptions.couponId, coupon.id), eq(couponRedemptions.orderId, pending.order_id)));
    expect(redeemed).toHaveLength(1);
    const [row] = await db.select().from(coupons).where(eq(coupons.id, coupon.id));
    expect(row?.redeemedCount).toBe(1);
  });

  it("a zero total (a 100 % coupon) completes without any payment and grants like a paid order", async () => {
    const world = stripeWorld();
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const coupon = await createCoupon(tenant, {
      code: `FREE${crypto.randomUUID().slice(0, 6)}`,
      percent_off: 100,
    });
    const buyerId = `free-${crypto.randomUUID()}`;
    const q = await quote({ offer_id: offer.id, coupon: coupon.code }, buyer(buyerId));
    expect(q.status).toBe(201);
    expect(q.body.total).toBe(0);
    const done = await world.checkout(buyerId, { quote: q.body.token, email: email() });
    expect(done.status).toBe(201);
    expect(done.body).toMatchObject({ status: "paid", amount: 0, payment: { id: null } });
    expect(world.fake.paymentIntents()).toHaveLength(0);
    const granted = await db.select().from(entitlements).where(eq(entitlements.sourceId, done.body.order_id));
    expect(granted).toHaveLength(1);
  });
});
