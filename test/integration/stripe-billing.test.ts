/**
 * Stripe Billing end to end in workerd: a membership bought through the real checkout route with Stripe
 * configured (the official SDK over the local Stripe-compatible fake) starts a Stripe Subscription, and
 * Stripe's own events, signed as Stripe signs them and delivered to the webhook route, drive our row:
 * renewals extend the tier, any ordering of one renewal's events ends the same, a cancellation is final,
 * and an event naming another creator's subscription changes nothing.
 */
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { drainEmitted, retryDeferredEvents } from "../../src/checkout/events";
import { auditEvents, paymentEvents, subscriptionInvoices, subscriptions } from "../../src/db/schema";
import { inventoryGateway } from "../../src/inventory/gateway";
import { subscriptionIdFor } from "../../src/lib/ids";
import { applySubscriptionEvents } from "../../src/subscriptions/store";
import type { Json } from "../support/api";
import { createOffer, membershipTier } from "../support/fixtures";
import { buyer, quote } from "../support/quotes";
import type { FakeEvent } from "../support/stripe-fake";
import { stripeWorld } from "../support/stripe-world";
import { tierOf, tokenVersionOf, WEEK } from "../support/subscriptions";
import { createTenant, db, type Tenant } from "../support/tenants";

const LEEWAY = 2 * 3600_000;
type World = ReturnType<typeof stripeWorld>;

/** A weekly tier bought through the real checkout with `card`; the checkout's answer and our row. */
async function subscribe(
  world: World,
  card = "pm_card_visa",
  extra: Json = {},
  given: { tenant?: Tenant; tier?: Json } = {},
) {
  const owner = given.tenant ?? (await createTenant());
  const tier = given.tier ?? (await createOffer(owner, membershipTier({ billing_interval: "week" })));
  const buyerId = crypto.randomUUID();
  const quoted = await quote({ offer_id: tier.id }, buyer(buyerId));
  expect(quoted.status).toBe(201);
  const email = `fan-${crypto.randomUUID()}@example.test`;
  const body = {
    quote: quoted.body.token,
    email,
    ...(card === "" ? {} : { payment_method: card }),
    ...extra,
  };
  const res = await world.checkout(buyerId, body);
  expect(res.status).toBe(201);
  const id = subscriptionIdFor(res.body.order_id);
  return { tenant: owner, tier, email, res, id };
}

/** The fake's Stripe subscription as Stripe holds it now. */
const stripeSub = (world: World, stripeSubId: string) =>
  world.fake.subscriptions().find((sub) => sub.id === stripeSubId);

const rowOf = async (id: string) =>
  (await db.select().from(subscriptions).where(eq(subscriptions.id, id)))[0];

async function stripeIdOf(id: string): Promise<string> {
  const row = await rowOf(id);
  if (!row?.providerSubscriptionId) throw new Error(`${id} has no Stripe subscription`);
  return row.providerSubscriptionId;
}

/** Where a subscription stands, its times relative to its anchor (so two subscriptions compare). */
async function standing(id: string) {
  const row = await rowOf(id);
  if (row === undefined) throw new Error(`no subscription ${id}`);
  const tier = await tierOf(id);
  const rel = (t: number) => t - row.anchor;
  const periods = JSON.parse(row.periods) as { start: number; end: number; refunded: boolean }[];
  return {
    status: row.status,
    period: [rel(row.periodStart), rel(row.periodEnd)],
    cancelAtPeriodEnd: row.cancelAtPeriodEnd,
    periods: periods.map((p) => [rel(p.start), rel(p.end), p.refunded]),
    access: tier === undefined || tier.revokedAt !== null ? null : rel(tier.expiresAt ?? 0),
  };
}

const about = (event: FakeEvent, stripeSubId: string) => {
  const o = event.data.object as Json;
  return o.id === stripeSubId || o.parent?.subscription_details?.subscription === stripeSubId;
};

/** Delivers every billing event the fake recorded about the subscription since `from`, in order. */
async function deliverBilling(world: World, stripeSubId: string, from = 0) {
  for (const event of world.fake.events.slice(from)) {
    if (about(event, stripeSubId)) expect((await world.deliver(event)).status).toBe(200);
  }
}

/** This world's events stored but not handled yet. */
const unprocessed = async (world: World) => {
  const ours = new Set(world.fake.events.map((e) => e.id));
  return (await db.select().from(paymentEvents)).filter((e) => ours.has(e.eventId) && e.processedAt === null);
};

describe("a membership bought with Stripe starts a Stripe Billing subscription", () => {
  it("through the real checkout route: a customer, the offer's product, a weekly subscription whose first invoice is the checkout's payment", async () => {
    const world = stripeWorld();
    const { tenant, tier, email, res, id } = await subscribe(world);
    expect(res.body).toMatchObject({ status: "paid", payment: { provider: "stripe" } });
    const [sub] = world.fake.subscriptions();
    expect(world.fake.subscriptions()).toHaveLength(1);
    expect(sub).toMatchObject({
      status: "active",
      metadata: { creator_id: tenant.creatorId, order_id: res.body.order_id, offer_id: tier.id },
      items: { data: [{ price: { unit_amount: 300, currency: "usd", product: tier.id } }] },
    });
    expect(sub?.items.data[0]?.price.recurring).toMatchObject({ interval: "week", interval_count: 1 });
    expect(world.fake.customers().map((c) => c.email)).toEqual([email]);
    expect(world.fake.products().map((p) => p.id)).toEqual([tier.id]);
    const created = world.fake.requests.find((r) => r.route === "POST /v1/subscriptions");
    expect(created?.params).toMatchObject({ payment_behavior: "default_incomplete" });
    // No bare PaymentIntent: the payment is the first invoice's.
    expect(world.fake.count("POST /v1/payment_intents")).toBe(0);
    expect(res.body.payment.id).toBe(world.fake.billing.latestIntent(sub?.id ?? ""));

    const row = await rowOf(id);
    const item = sub?.items.data[0];
    expect(row).toMatchObject({
      provider: "stripe",
      providerSubscriptionId: sub?.id,
      status: "active",
      periodStart: (item?.current_period_start ?? 0) * 1000,
      periodEnd: (item?.current_period_end ?? 0) * 1000,
      dueAt: null,
    });
    expect(row?.paymentMethod).toMatch(/^pm_/);
    expect((await tierOf(id))?.expiresAt).toBe((row?.periodEnd ?? 0) + LEEWAY);

    // Stripe's own events about the first invoice, delivered late, change nothing.
    const before = await standing(id);
    await deliverBilling(world, sub?.id ?? "");
    await world.deliverAll(res.body.payment.id);
    expect(await standing(id)).toEqual(before);
    expect(await unprocessed(world)).toEqual([]);
  });

  it("a second member of the same tier gets their own subscription on the offer's one product", async () => {
    const world = stripeWorld();
    const first = await subscribe(world);
    const second = await subscribe(world, "pm_card_visa", {}, first);
    expect(second.res.body.status).toBe("paid");
    expect(world.fake.products().map((p) => p.id)).toEqual([first.tier.id]);
    const ids = [await stripeIdOf(first.id), await stripeIdOf(second.id)];
    expect(new Set(ids).size).toBe(2);
  });

  it("3-D Secure on the first invoice's PaymentIntent: requires_action, then paid through confirm, subscription active", async () => {
    const world = stripeWorld();
    const { res, id } = await subscribe(world, "pm_card_authenticationRequired", {
      return_url: "https://shop.test/return",
    });
    expect(res.body).toMatchObject({ status: "requires_action" });
    expect(res.body.payment.next_action.redirectUrl).toMatch(/^https:\/\//);
    expect(await rowOf(id)).toBeUndefined();
    world.fake.authenticate(res.body.payment.id);
    const done = await world.call("POST", `/v1/checkouts/${res.body.id}/confirm`, "{}", {
      "checkout-secret": res.body.secret,
    });
    expect(done.body).toMatchObject({ status: "paid", entitlement: { token_type: "Bearer" } });
    const [sub] = world.fake.subscriptions();
    expect(sub?.status).toBe("active");
    expect(await rowOf(id)).toMatchObject({ status: "active", providerSubscriptionId: sub?.id });
  });

  it("a declined first invoice fails the checkout and starts nothing here", async () => {
    const world = stripeWorld();
    const { res, id } = await subscribe(world, "pm_card_chargeDeclined");
    expect(res.body).toMatchObject({ status: "failed", failure: { decline_code: "generic_decline" } });
    expect(world.fake.subscriptions()[0]?.status).toBe("incomplete");
    expect(await rowOf(id)).toBeUndefined();
  });

  it("an event for a subscription not written yet stays unprocessed; the cron handles it once the checkout is paid", async () => {
    const world = stripeWorld();
    const { res, id } = await subscribe(world, "");
    expect(res.body.status).toBe("pending");
    const [sub] = world.fake.subscriptions();
    const createdEvent = world.fake.events.find((e) => e.type === "customer.subscription.created");
    expect((await world.deliver(createdEvent as FakeEvent)).body.outcome).toBe("accepted");
    expect((await unprocessed(world)).map((e) => e.eventId)).toContain(createdEvent?.id);
    // The buyer pays on the client; confirm completes the checkout and writes the subscription.
    await world.provider.confirm(res.body.payment.id, {
      paymentMethod: "pm_card_visa",
      idempotencyKey: "c1",
    });
    const done = await world.call("POST", `/v1/checkouts/${res.body.id}/confirm`, "{}", {
      "checkout-secret": res.body.secret,
    });
    expect(done.body.status).toBe("paid");
    const ctx = {
      db,
      inventory: inventoryGateway(env.DROP_INVENTORY, db),
      provider: world.provider,
      now: Date.now() + 61_000,
      emitted: [],
    };
    await retryDeferredEvents(ctx);
    await drainEmitted(ctx);
    expect((await unprocessed(world)).map((e) => e.eventId)).not.toContain(createdEvent?.id);
    expect(await rowOf(id)).toMatchObject({ status: "active", providerSubscriptionId: sub?.id });
  });
});

describe("Stripe's renewal events drive the subscription", () => {
  it("a renewal delivered as Stripe events extends the tier by a week; its PaymentIntent's events are handled too", async () => {
    const world = stripeWorld();
    const { id, res } = await subscribe(world);
    const stripeSubId = await stripeIdOf(id);
    const first = await standing(id);
    for (let k = 1; k <= 2; k++) {
      world.tick(2);
      const from = world.fake.events.length;
      world.fake.billing.renew(stripeSubId);
      await deliverBilling(world, stripeSubId, from);
      await world.deliverAll(world.fake.billing.latestIntent(stripeSubId) ?? "", from);
      expect(await standing(id)).toMatchObject({
        status: "active",
        period: [k * WEEK, (k + 1) * WEEK],
        access: (k + 1) * WEEK + LEEWAY,
      });
    }
    expect((await standing(id)).periods).toEqual([
      ...first.periods,
      [WEEK, 2 * WEEK, false],
      [2 * WEEK, 3 * WEEK, false],
    ]);
    expect(await unprocessed(world)).toEqual([]);
    // The first order's own payment still settles as the checkout's.
    expect(res.body.status).toBe("paid");
    // Every period Stripe billed is an invoice row of ours, as the sandbox keeps them.
    const invoices = await db
      .select()
      .from(subscriptionInvoices)
      .where(eq(subscriptionInvoices.subscriptionId, id));
    expect(invoices.map((i) => [i.periodIndex, i.status, i.attempts]).sort()).toEqual([
      [0, "paid", 1],
      [1, "paid", 1],
      [2, "paid", 1],
    ]);
  });
});

describe("refunds and disputes of a subscription's charges", () => {
  it("the first invoice's charge refunded ends the order and the subscription it started", async () => {
    const world = stripeWorld();
    const { id, res } = await subscribe(world);
    const from = world.fake.events.length;
    await world.provider.refund(res.body.payment.id, { idempotencyKey: `refund-${res.body.payment.id}` });
    await world.deliverAll(res.body.payment.id, from);
    expect(await standing(id)).toMatchObject({ status: "canceled", access: null });
  });

  // The refunded period grants nothing: the tier is revoked, whatever Stripe's status says.
  it.each([
    [
      "refunded at Stripe",
      async (world: World, pi: string): Promise<void> => {
        await world.provider.refund(pi, { idempotencyKey: `refund-${pi}` });
      },
    ],
    [
      "charged back",
      async (world: World, pi: string): Promise<void> => {
        world.fake.dispute(pi);
      },
    ],
  ] as const)("a renewal's charge %s refunds that period and ends its access", async (_how, reverse) => {
    const world = stripeWorld();
    const { id } = await subscribe(world);
    const stripeSubId = await stripeIdOf(id);
    world.tick(2);
    world.fake.billing.renew(stripeSubId);
    await deliverBilling(world, stripeSubId);
    const renewal = world.fake.billing.latestIntent(stripeSubId) ?? "";
    const from = world.fake.events.length;
    await reverse(world, renewal);
    await world.deliverAll(renewal, from);
    expect((await standing(id)).periods).toContainEqual([WEEK, 2 * WEEK, true]);
    expect((await standing(id)).access).toBeNull();
    expect(await unprocessed(world)).toEqual([]);
  });
});

/** One renewal whose first charge fails and whose Smart Retry succeeds, as Stripe reports it. */
async function failedThenRecovered(world: World) {
  const { id } = await subscribe(world);
  const stripeSubId = await stripeIdOf(id);
  world.tick(2);
  const from = world.fake.events.length;
  world.fake.billing.renew(stripeSubId, { card: "pm_card_chargeDeclined" });
  world.tick(2);
  world.fake.billing.retry(stripeSubId);
  const renewal = world.fake.events.slice(from).filter((e) => about(e, stripeSubId));
  const one = (type: string, status?: string) => {
    const found = renewal.filter(
      (e) => e.type === type && (status === undefined || (e.data.object as Json).status === status),
    );
    expect(found, type).toHaveLength(1);
    return found[0] as FakeEvent;
  };
  return {
    id,
    paid: one("invoice.paid"),
    // The adversarial one: past_due, sent before the retry succeeded.
    updated: one("customer.subscription.updated", "past_due"),
    failed: one("invoice.payment_failed"),
  };
}

const permutations = <T>(xs: T[]): T[][] =>
  xs.length <= 1
    ? [xs]
    : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));

describe("one renewal's events in any order", () => {
  const names = ["paid", "updated", "failed"] as const;
  it("every ordering of invoice.paid, customer.subscription.updated and invoice.payment_failed, and duplicates, ends in the same state and access", async () => {
    const expected = {
      status: "active",
      period: [WEEK, 2 * WEEK],
      cancelAtPeriodEnd: false,
      periods: [
        [0, WEEK, false],
        [WEEK, 2 * WEEK, false],
      ],
      access: 2 * WEEK + LEEWAY,
    };
    const orders: (typeof names)[number][][] = [
      ...permutations([...names]),
      ["failed", "paid", "updated", "paid", "failed", "updated"],
    ];
    for (const order of orders) {
      const world = stripeWorld();
      const events = await failedThenRecovered(world);
      for (const name of order) await world.deliver(events[name]);
      expect(await standing(events.id), order.join(" → ")).toEqual(expected);
    }
  });
});

describe("terminal states and other creators' events", () => {
  it("a late invoice.paid never revives a customer.subscription.deleted", async () => {
    const world = stripeWorld();
    const { id } = await subscribe(world);
    const row = await rowOf(id);
    const stripeSubId = await stripeIdOf(id);
    world.tick(2);
    const from = world.fake.events.length;
    world.fake.billing.renew(stripeSubId);
    world.tick(2);
    world.fake.billing.cancel(stripeSubId);
    const events = world.fake.events.slice(from);
    const deleted = events.find((e) => e.type === "customer.subscription.deleted") as FakeEvent;
    const paid = events.find((e) => e.type === "invoice.paid") as FakeEvent;
    await world.deliver(deleted);
    expect(await standing(id)).toMatchObject({ status: "canceled", access: null });
    await world.deliver(paid);
    await deliverBilling(world, stripeSubId, from);
    expect(await standing(id)).toMatchObject({ status: "canceled", access: null });
    expect(await tokenVersionOf(row?.memberId ?? "")).toBeGreaterThan(0);
  });

  it("a renewal event for another creator's subscription changes nothing and is audited", async () => {
    const world = stripeWorld();
    const victim = await subscribe(world);
    const attacker = await subscribe(world);
    const victimSub = await stripeIdOf(victim.id);
    const attackerSub = await stripeIdOf(attacker.id);
    const before = await rowOf(victim.id);
    world.tick(2);
    const from = world.fake.events.length;
    world.fake.billing.renew(attackerSub);
    world.fake.billing.cancel(attackerSub);
    const mine = world.fake.events.slice(from);
    // The attacker's own events, re-addressed to the victim's subscription (signed all the same).
    const paid = structuredClone(mine.find((e) => e.type === "invoice.paid")) as Json;
    paid.id = `${paid.id}x`;
    paid.data.object.parent.subscription_details.subscription = victimSub;
    const deleted = structuredClone(mine.find((e) => e.type === "customer.subscription.deleted")) as Json;
    deleted.id = `${deleted.id}x`;
    deleted.data.object.id = victimSub;
    for (const forged of [paid, deleted]) expect((await world.deliver(forged)).status).toBe(200);
    expect(await rowOf(victim.id)).toEqual(before);
    const refused = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.subjectId, victim.id), eq(auditEvents.action, "subscription.event_refused")));
    const named = { mismatch: "creator", named_creator_id: attacker.tenant.creatorId };
    expect(refused.map((a) => JSON.parse(a.data))).toEqual([
      expect.objectContaining({ ...named, event_type: "invoice.paid" }),
      expect.objectContaining({ ...named, event_type: "customer.subscription.deleted" }),
    ]);
    expect(refused.every((a) => a.creatorId === victim.tenant.creatorId)).toBe(true);
  });
  it("a renewal Stripe charges after the subscription ended here is refunded, and Stripe stops billing", async () => {
    const world = stripeWorld();
    const { id } = await subscribe(world);
    const stripeSubId = await stripeIdOf(id);
    // The subscription ends here while Stripe never heard (its cancellation call failed).
    const row = await rowOf(id);
    await applySubscriptionEvents({ db, now: Date.now(), actor: "test" }, id, [
      {
        type: "snapshot",
        at: Date.now() + 1000,
        status: "canceled",
        periodStart: row?.periodStart ?? 0,
        periodEnd: row?.periodEnd ?? 0,
        cancelAtPeriodEnd: false,
        trialEnd: null,
      },
    ]);
    world.tick(2);
    world.fake.billing.renew(stripeSubId);
    await deliverBilling(world, stripeSubId);
    const renewal = world.fake.billing.latestIntent(stripeSubId) ?? "";
    const paid = await world.provider.retrieve(renewal);
    expect(paid.status).toBe("succeeded");
    expect(paid.amountRefunded).toBe(paid.amount);
    expect(stripeSub(world, stripeSubId)?.status).toBe("canceled");
    expect((await standing(id)).access).toBeNull();
  });
});

describe("changes to a subscription Stripe bills are made at Stripe", () => {
  it("a member cancelling at period end tells Stripe, so its next snapshot keeps the cancellation; undo too", async () => {
    const world = stripeWorld();
    const { tenant, id } = await subscribe(world);
    const stripeSubId = await stripeIdOf(id);
    const row = await rowOf(id);
    const session = await world.call("POST", `/v1/members/${row?.memberId}/sessions`, "{}", {
      authorization: `Bearer ${tenant.key}`,
    });
    const mine = { authorization: `Bearer ${session.body.token}` };
    const cancel = await world.call(
      "PATCH",
      `/v1/me/subscriptions/${id}`,
      '{"cancel_at_period_end":true}',
      mine,
    );
    expect(cancel.status).toBe(200);
    expect(cancel.body.cancel_at_period_end).toBe(true);
    expect(stripeSub(world, stripeSubId)?.cancel_at_period_end).toBe(true);
    // Stripe's own event about the change, delivered late, changes nothing more.
    await deliverBilling(world, stripeSubId);
    expect((await rowOf(id))?.cancelAtPeriodEnd).toBe(true);
    const undo = await world.call(
      "PATCH",
      `/v1/me/subscriptions/${id}`,
      '{"cancel_at_period_end":false}',
      mine,
    );
    expect(undo.body.cancel_at_period_end).toBe(false);
    expect(stripeSub(world, stripeSubId)?.cancel_at_period_end).toBe(false);
  });

  it("pausing or switching tier of a subscription Stripe bills is refused, not done on our row alone", async () => {
    const world = stripeWorld();
    const { tenant, id } = await subscribe(world);
    const admin = { authorization: `Bearer ${tenant.key}` };
    const paused = await world.call("PATCH", `/v1/subscriptions/${id}`, '{"paused":true}', admin);
    expect(paused.status).toBe(409);
    expect((await rowOf(id))?.status).toBe("active");
  });

  it("the creator cancelling now cancels at Stripe: nothing is billed after it", async () => {
    const world = stripeWorld();
    const { tenant, id } = await subscribe(world);
    const stripeSubId = await stripeIdOf(id);
    const res = await world.call("POST", `/v1/subscriptions/${id}/cancel`, undefined, {
      authorization: `Bearer ${tenant.key}`,
    });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("canceled");
    expect(stripeSub(world, stripeSubId)?.status).toBe("canceled");
  });

  it("refunding the membership order cancels the Stripe subscription, so the member is never billed without access", async () => {
    const world = stripeWorld();
    const { tenant, id, res } = await subscribe(world);
    const stripeSubId = await stripeIdOf(id);
    const refunded = await world.call("POST", `/v1/orders/${res.body.order_id}/refund`, "{}", {
      authorization: `Bearer ${tenant.key}`,
      "idempotency-key": crypto.randomUUID(),
    });
    expect(refunded.status).toBe(200);
    expect((await rowOf(id))?.status).toBe("canceled");
    expect(stripeSub(world, stripeSubId)?.status).toBe("canceled");
  });
});
