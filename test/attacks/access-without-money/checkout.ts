/**
 * Access without money, through checkout: a buyer who lies about their email, replays an
 * Idempotency-Key with a cheaper quote, or pays a payment that is not the order's, never gets access
 * they did not pay for.
 */
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents, entitlements, orders } from "../../../src/db/schema";
import { quotedDrop } from "../../support/checkouts";
import { introspect, memberWithGrants } from "../../support/entitlements";
import { createOffer } from "../../support/fixtures";
import { buyer, quote } from "../../support/quotes";
import { stripeWorld } from "../../support/stripe-world";
import { createTenant, db } from "../../support/tenants";

const email = () => `buyer-${crypto.randomUUID()}@example.test`;

describe("access-without-money: checkout", () => {
  it("an anonymous buyer using a member's email gets a receipt for this purchase only, and no session", async () => {
    const world = stripeWorld();
    const tenant = await createTenant();
    const victim = await memberWithGrants(tenant, 2);
    const victimEmail = `${victim.memberId}@example.test`;
    const buyerId = `liar-${crypto.randomUUID()}`;
    const { drop, quote: q } = await quotedDrop(tenant, buyerId);
    const paid = await world.checkout(buyerId, {
      quote: q.token,
      email: victimEmail,
      payment_method: "pm_card_visa",
    });
    expect(paid.body.status).toBe("paid");
    const read = await world.call("GET", `/v1/checkouts/${paid.body.id}`, undefined, {
      "checkout-secret": paid.body.secret,
    });
    // Only what this checkout paid for, none of the victim's other entitlements, and no refresh family.
    expect(read.body.entitlement.entitlements).toEqual([drop.offer_id]);
    expect(read.body.entitlement.refresh_token).toBeNull();
    for (const offer of victim.offers) expect(read.body.entitlement.entitlements).not.toContain(offer);
    // The order is still recorded for the member with that email: it appears when they sign in.
    const [order] = await db.select().from(orders).where(eq(orders.id, paid.body.order_id));
    expect(order?.memberId).toBe(victim.memberId);
  });

  it("a purchase receipt cannot stand in for the member's sign-in (refused as member_token)", async () => {
    const world = stripeWorld();
    const tenant = await createTenant();
    const victim = await memberWithGrants(tenant, 1);
    const buyerId = `liar-${crypto.randomUUID()}`;
    const { quote: q } = await quotedDrop(tenant, buyerId);
    const paid = await world.checkout(buyerId, {
      quote: q.token,
      email: `${victim.memberId}@example.test`,
      payment_method: "pm_card_visa",
    });
    const read = await world.call("GET", `/v1/checkouts/${paid.body.id}`, undefined, {
      "checkout-secret": paid.body.secret,
    });
    const receipt = read.body.entitlement.token as string;
    expect((await introspect(receipt, tenant.creatorId)).body.scope).toBe("purchase");
    // Quoting as the member with the receipt (member pricing, the member's checkout) is refused.
    const offer = await createOffer(tenant);
    const asMember = await quote({ offer_id: offer.id, member_token: receipt }, buyer(buyerId));
    expect(asMember.status).toBe(422);
    expect(asMember.body.token).toBeUndefined();
  });

  it("the same Idempotency-Key with a cheaper quote after a refused create never pays the dearer order", async () => {
    const world = stripeWorld();
    const tenant = await createTenant();
    const buyerId = `replayer-${crypto.randomUUID()}`;
    const dear = await quotedDrop(tenant, buyerId, {});
    const cheapOffer = await createOffer(tenant, {
      kind: "one_time",
      title: "Sticker",
      prices: [{ currency: "USD", amount: 100 }],
    });
    const cheap = await quote({ offer_id: cheapOffer.id }, buyer(buyerId));
    expect(cheap.status).toBe(201);
    const key = `reused-${crypto.randomUUID()}`;
    const refused = await world.checkout(
      buyerId,
      { quote: dear.quote.token, email: email(), payment_method: "pm_does_not_exist" },
      key,
    );
    expect(refused.status).toBe(422);
    const second = await world.checkout(
      buyerId,
      { quote: cheap.body.token, email: email(), payment_method: "pm_card_visa" },
      key,
    );
    expect(second.body).toMatchObject({ status: "paid", offer_id: cheapOffer.id, amount: 100 });
    expect(second.body.order_id).not.toBe(refused.body.order_id);
    const dearOrders = await db.select().from(orders).where(eq(orders.offerId, dear.drop.offer_id));
    expect(dearOrders.map((o) => o.status)).toEqual(["failed"]);
    const dearGrants = await db
      .select()
      .from(entitlements)
      .where(eq(entitlements.offerId, dear.drop.offer_id));
    expect(dearGrants).toHaveLength(0);
    expect(world.fake.paymentIntents().map((pi) => pi.amount)).toEqual([100]);
  });

  it.each([
    ["a smaller amount", { amount: 100, currency: "usd" }],
    ["another currency", { amount: -1, currency: "eur" }],
  ])("a payment naming the order but for %s is refunded in full and grants nothing", async (_name, p) => {
    const world = stripeWorld();
    const tenant = await createTenant();
    const buyerId = `forger-${crypto.randomUUID()}`;
    const { quote: q } = await quotedDrop(tenant, buyerId);
    const pending = (await world.checkout(buyerId, { quote: q.token, email: email() })).body;
    expect(pending.status).toBe("pending");
    // A second PaymentIntent carrying the order's metadata (another integration on the account, or a
    // forged one), paid by the buyer, then announced by Stripe.
    const forged = await world.provider.create({
      amount: p.amount === -1 ? pending.amount : p.amount,
      currency: p.currency,
      paymentMethod: "pm_card_visa",
      metadata: { checkout_id: pending.id, order_id: pending.order_id, creator_id: tenant.creatorId },
      idempotencyKey: `forged-${pending.id}`,
    });
    expect(forged.status).toBe("succeeded");
    await world.deliverAll(forged.id);
    const [order] = await db.select().from(orders).where(eq(orders.id, pending.order_id));
    expect(order?.status).toBe("pending");
    expect(await db.select().from(entitlements).where(eq(entitlements.sourceId, pending.order_id))).toEqual(
      [],
    );
    expect(world.fake.refunds().filter((r) => r.payment_intent === forged.id)).toHaveLength(1);
    const flagged = await db
      .select()
      .from(auditEvents)
      .where(
        and(eq(auditEvents.subjectId, pending.order_id), eq(auditEvents.action, "payment.mismatch_refunded")),
      );
    expect(flagged).toHaveLength(1);
    // The order's own payment still completes it.
    const own = await world.provider.confirm(pending.payment.id, {
      paymentMethod: "pm_card_visa",
      idempotencyKey: `own-${pending.id}`,
    });
    await world.deliverAll(own.id);
    const read = await readCheckoutVia(world, pending.id, pending.secret);
    expect(read.status).toBe("paid");
  });
});

const readCheckoutVia = async (world: ReturnType<typeof stripeWorld>, id: string, secret: string) =>
  (await world.call("GET", `/v1/checkouts/${id}`, undefined, { "checkout-secret": secret })).body;
