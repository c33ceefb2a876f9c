/**
 * Payouts through Stripe Connect, on the sandbox (docs/payouts.md): where a creator's money goes, that
 * a creator whose account cannot receive it sells nothing, and that refunds and disputes move the
 * creator's share exactly once.
 */
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app";
import { ingestEvent } from "../../src/checkout/events";
import { syncAccount } from "../../src/connect/verbs";
import {
  auditEvents,
  connectedAccounts,
  connectTransfers,
  creators,
  orders,
  sandboxPayments,
  sandboxTransfers,
} from "../../src/db/schema";
import { inventoryGateway } from "../../src/inventory/gateway";
import type { ProviderEvent } from "../../src/payments/provider";
import { createSandboxProvider } from "../../src/payments/sandbox";
import { onboard } from "../../src/payments/sandbox-connect";
import { api, type Json } from "../support/api";
import { checkout, quotedDrop } from "../support/checkouts";
import { expectInvariants } from "../support/drops";
import { createOffer } from "../support/fixtures";
import { buyer, quote } from "../support/quotes";
import { stripeWorld } from "../support/stripe-world";
import { advance, invoicesOf, paymentsOf, subscribe } from "../support/subscriptions";
import { createKey, createTenant, db, type Tenant, tableCounts } from "../support/tenants";

const VISA = "4242424242424242";
const DISPUTED = "4000000000000259";
const email = () => `fan-${crypto.randomUUID()}@example.test`;

function sandbox() {
  const emitted: ProviderEvent[] = [];
  const provider = createSandboxProvider(db, { now: () => Date.now(), emit: (e) => void emitted.push(e) });
  const connect = provider.connect;
  if (connect === undefined) throw new Error("the sandbox has no Connect");
  const ctx = { db, inventory: inventoryGateway(env.DROP_INVENTORY, db), provider, now: Date.now() };
  /** A provider event about `paymentId`, delivered through the inbox under a fresh id. */
  const redeliver = (type: ProviderEvent["type"], paymentId: string) =>
    ingestEvent(ctx, { id: `evt_${crypto.randomUUID()}`, type, paymentId, payload: { type } });
  return { provider, connect, emitted, ctx, redeliver };
}

const link = (tenant: Tenant, body: Record<string, unknown> = { type: "express" }, key = tenant.key) =>
  api("POST", "/v1/connect/account", { key, body, headers: { "idempotency-key": crypto.randomUUID() } });

/** The creator links an account and finishes (or leaves) the sandbox's onboarding, as its page does. */
async function linked(tenant: Tenant, outcome: "complete" | "leave" | "none" = "complete") {
  const res = await link(tenant);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const accountId = res.body.account_id as string;
  if (outcome !== "none") {
    await onboard(db, accountId, outcome, Date.now());
    await syncAccount(db, sandbox().connect, accountId, Date.now());
  }
  return accountId;
}

const setFee = (tenant: Tenant, bps: number) =>
  db.update(creators).set({ platformFeeBps: bps }).where(eq(creators.id, tenant.creatorId));

async function paidCheckout(tenant: Tenant, card = VISA) {
  const buyerId = crypto.randomUUID();
  const { drop, quote } = await quotedDrop(tenant, buyerId);
  const res = await checkout({ quote: quote.token, email: email(), payment_method: card }, { buyerId });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const [order] = await db
    .select()
    .from(orders)
    .where(eq(orders.id, res.body.order_id as string));
  if (order === undefined) throw new Error("no order");
  return { drop, res, order, paymentId: order.providerPaymentId ?? "" };
}

const transfersOf = (paymentId: string) =>
  db.select().from(connectTransfers).where(eq(connectTransfers.paymentId, paymentId));

describe("where a checkout's money goes", () => {
  it("a creator with no connected account in platform mode is paid on the platform, as before", async () => {
    const tenant = await createTenant();
    const { res, order, paymentId } = await paidCheckout(tenant);
    expect(res.body.status).toBe("paid");
    expect(order).toMatchObject({ destinationAccount: null, platformFeeAmount: null });
    const [payment] = await db.select().from(sandboxPayments).where(eq(sandboxPayments.id, paymentId));
    expect(payment?.transferDestination).toBeNull();
  });

  it("a creator whose linked account has not finished onboarding cannot take money: 409, nothing written, no stock held", async () => {
    const tenant = await createTenant();
    await linked(tenant, "leave");
    const buyerId = crypto.randomUUID();
    const { drop, quote } = await quotedDrop(tenant, buyerId);
    const before = await tableCounts();
    const res = await checkout({ quote: quote.token, email: email(), payment_method: VISA }, { buyerId });
    expect(res.status, JSON.stringify(res.body)).toBe(409);
    expect(res.body.type).toMatch(/payouts-not-ready$/);
    // It names what is missing, so the creator knows what to finish.
    expect(res.body.detail).toContain("individual.verification.document");
    expect(await tableCounts()).toEqual(before);
    expect(await expectInvariants(drop.id)).toMatchObject({ held: 0, available: 5 });
  });

  it("in connect mode a creator with no connected account cannot take money", async () => {
    const tenant = await createTenant();
    const buyerId = crypto.randomUUID();
    const { drop, quote } = await quotedDrop(tenant, buyerId);
    const before = await tableCounts();
    const res = await buildApp().fetch(
      new Request("http://api.test/v1/checkouts", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "buyer-id": buyerId,
          "idempotency-key": crypto.randomUUID(),
        },
        body: JSON.stringify({ quote: quote.token, email: email(), payment_method: VISA }),
      }),
      { ...env, PAYOUTS_MODE: "connect" },
    );
    const body = (await res.json()) as Json;
    expect(res.status, JSON.stringify(body)).toBe(409);
    expect(body.detail).toContain("no connected account");
    expect(await tableCounts()).toEqual(before);
    expect(await expectInvariants(drop.id)).toMatchObject({ held: 0, available: 5 });
  });

  it("a checkout with nothing to charge needs no payout account, even in connect mode", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const coupon = await api("POST", "/v1/coupons", {
      key: tenant.key,
      body: { code: `FREE${crypto.randomUUID().slice(0, 6)}`, percent_off: 100 },
    });
    expect(coupon.status).toBe(201);
    const buyerId = crypto.randomUUID();
    const q = await quote({ offer_id: offer.id, coupon: coupon.body.code }, buyer(buyerId));
    expect(q.body.total).toBe(0);
    const res = await buildApp().fetch(
      new Request("http://api.test/v1/checkouts", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "buyer-id": buyerId,
          "idempotency-key": crypto.randomUUID(),
        },
        body: JSON.stringify({ quote: q.body.token, email: email() }),
      }),
      { ...env, PAYOUTS_MODE: "connect" },
    );
    const body = (await res.json()) as Json;
    expect(res.status, JSON.stringify(body)).toBe(201);
    expect(body.status).toBe("paid");
  });

  it("a suspended creator's checkout is refused before anything is held", async () => {
    const tenant = await createTenant();
    const buyerId = crypto.randomUUID();
    const { drop, quote } = await quotedDrop(tenant, buyerId);
    await db
      .update(creators)
      .set({ status: "suspended", suspendedAt: Date.now() })
      .where(eq(creators.id, tenant.creatorId));
    const res = await checkout({ quote: quote.token, email: email(), payment_method: VISA }, { buyerId });
    expect(res.status).toBe(403);
    expect(res.body.type).toMatch(/creator-suspended$/);
    expect(await expectInvariants(drop.id)).toMatchObject({ held: 0, available: 5 });
  });

  it("an onboarded creator is paid by a destination charge, the platform's fee recorded on the order", async () => {
    const tenant = await createTenant();
    const accountId = await linked(tenant);
    await setFee(tenant, 750);
    const { res, order, paymentId } = await paidCheckout(tenant);
    expect(res.body.status).toBe("paid");
    const fee = Math.floor((order.amountTotal * 750) / 10_000);
    expect(fee).toBeGreaterThan(0);
    expect(order).toMatchObject({ destinationAccount: accountId, platformFeeAmount: fee });
    const moved = await db.select().from(sandboxTransfers).where(eq(sandboxTransfers.paymentId, paymentId));
    expect(moved).toEqual([
      expect.objectContaining({ kind: "transfer", account: accountId, amount: order.amountTotal - fee }),
    ]);
  });
});

describe("refunds and disputes of a destination charge", () => {
  it("a refund takes the creator's share back and refunds the platform's fee, to the minor unit", async () => {
    const tenant = await createTenant();
    const accountId = await linked(tenant);
    await setFee(tenant, 1000);
    const { order, paymentId } = await paidCheckout(tenant);
    const fee = order.platformFeeAmount ?? 0;
    const refunded = await api("POST", `/v1/orders/${order.id}/refund`, { key: tenant.key, body: {} });
    expect(refunded.status, JSON.stringify(refunded.body)).toBe(200);
    expect(refunded.body.status).toBe("refunded");
    const rows = await transfersOf(paymentId);
    expect(rows).toEqual([
      expect.objectContaining({
        kind: "reversal",
        reason: "refund",
        accountId,
        orderId: order.id,
        amount: order.amountTotal - fee,
        feeRefunded: fee,
      }),
    ]);
    const [payment] = await db.select().from(sandboxPayments).where(eq(sandboxPayments.id, paymentId));
    expect(payment).toMatchObject({ transferReversed: order.amountTotal - fee, applicationFeeRefunded: fee });
    const audited = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.subjectId, order.id), eq(auditEvents.action, "connect.transfer_reversed")));
    expect(audited).toHaveLength(1);
    // Refunding again moves nothing more.
    await api("POST", `/v1/orders/${order.id}/refund`, { key: tenant.key, body: {} });
    expect(await transfersOf(paymentId)).toHaveLength(1);
  });

  it("a chargeback takes the creator's share back once, however often its events arrive", async () => {
    const tenant = await createTenant();
    const accountId = await linked(tenant);
    await setFee(tenant, 500);
    const { order, paymentId } = await paidCheckout(tenant, DISPUTED);
    const share = order.amountTotal - (order.platformFeeAmount ?? 0);
    const { redeliver } = sandbox();
    await redeliver("charge.dispute.created", paymentId);
    await redeliver("charge.dispute.funds_withdrawn", paymentId);
    const rows = await transfersOf(paymentId);
    expect(rows).toEqual([
      expect.objectContaining({ kind: "reversal", reason: "dispute", accountId, amount: share }),
    ]);
    const reversals = await db
      .select()
      .from(sandboxTransfers)
      .where(and(eq(sandboxTransfers.paymentId, paymentId), eq(sandboxTransfers.kind, "reversal")));
    expect(reversals).toEqual([expect.objectContaining({ amount: share })]);
  });

  it("a won dispute sends the creator's share back, once", async () => {
    const tenant = await createTenant();
    const accountId = await linked(tenant);
    await setFee(tenant, 500);
    const { order, paymentId } = await paidCheckout(tenant, DISPUTED);
    const share = order.amountTotal - (order.platformFeeAmount ?? 0);
    // The bank decides for the creator (the sandbox has no dashboard to answer it: its row moves).
    await db.update(sandboxPayments).set({ disputeStatus: "won" }).where(eq(sandboxPayments.id, paymentId));
    const { redeliver } = sandbox();
    await redeliver("charge.dispute.funds_reinstated", paymentId);
    await redeliver("charge.dispute.closed", paymentId);
    const rows = await transfersOf(paymentId);
    expect(rows.map((r) => [r.kind, r.reason, r.amount, r.accountId]).sort()).toEqual([
      ["reversal", "dispute", share, accountId],
      ["transfer", "dispute_won", share, accountId],
    ]);
  });

  it("an inquiry moves none of the creator's money", async () => {
    const tenant = await createTenant();
    await linked(tenant);
    const { paymentId } = await paidCheckout(tenant);
    const dispute = {
      disputeId: `dp_sbx_${crypto.randomUUID().replaceAll("-", "")}`,
      disputeStatus: "warning_needs_response",
      disputeReason: "general",
      disputeCreatedAt: Date.now(),
    };
    await db.update(sandboxPayments).set(dispute).where(eq(sandboxPayments.id, paymentId));
    await sandbox().redeliver("charge.dispute.created", paymentId);
    expect(await transfersOf(paymentId)).toEqual([]);
  });
});

describe("the connected account routes", () => {
  it("links once: a second link answers the same account with 200", async () => {
    const tenant = await createTenant();
    const first = await link(tenant, { type: "express", email: "creator@example.test", country: "US" });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ object: "connected_account", ready: false, provider: "sandbox" });
    const again = await link(tenant);
    expect(again.status).toBe(200);
    expect(again.body.account_id).toBe(first.body.account_id);
    const rows = await db
      .select()
      .from(connectedAccounts)
      .where(eq(connectedAccounts.creatorId, tenant.creatorId));
    expect(rows).toHaveLength(1);
  });

  it("reads readiness, and hands out an onboarding link back to this worker", async () => {
    const tenant = await createTenant();
    expect((await api("GET", "/v1/connect/account", { key: tenant.key })).status).toBe(404);
    const accountId = await linked(tenant, "none");
    const read = await api("GET", "/v1/connect/account", { key: tenant.key });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ account_id: accountId, ready: false, details_submitted: false });
    expect(read.body.requirements_due.length).toBeGreaterThan(0);
    const linkRes = await api("POST", "/v1/connect/account-links", { key: tenant.key, body: {} });
    expect(linkRes.status, JSON.stringify(linkRes.body)).toBe(201);
    expect(linkRes.body.url).toContain(accountId);
    expect(Date.parse(linkRes.body.expires_at)).toBeGreaterThan(Date.now());
    await onboard(db, accountId, "complete", Date.now());
    await syncAccount(db, sandbox().connect, accountId, Date.now());
    const ready = await api("GET", "/v1/connect/account", { key: tenant.key });
    expect(ready.body).toMatchObject({ ready: true, charges_enabled: true, requirements_due: [] });
  });

  it("onboarding links must return to https URLs", async () => {
    const tenant = await createTenant();
    await linked(tenant, "none");
    const res = await api("POST", "/v1/connect/account-links", {
      key: tenant.key,
      body: { return_url: "http://evil.example/back" },
    });
    expect(res.status).toBe(422);
  });

  it("another creator can neither read nor link on someone's behalf", async () => {
    const owner = await createTenant();
    const other = await createTenant();
    const accountId = await linked(owner, "none");
    expect((await api("GET", "/v1/connect/account", { key: other.key })).status).toBe(404);
    expect((await api("POST", "/v1/connect/account-links", { key: other.key, body: {} })).status).toBe(404);
    // No field names a creator: the key does.
    const smuggled = await link(other, { type: "express", creator_id: owner.creatorId });
    expect(smuggled.status).toBe(422);
    const own = await link(other);
    expect(own.status).toBe(201);
    expect(own.body.account_id).not.toBe(accountId);
  });

  it("a restricted or publishable key is refused on every Connect route", async () => {
    const tenant = await createTenant();
    const restricted = await createKey(tenant, "restricted", [
      "orders:write",
      "catalog:write",
      "reports:read",
    ]);
    const publishable = await createKey(tenant, "publishable", []);
    for (const { key } of [restricted, publishable]) {
      const calls = [
        await api("GET", "/v1/connect/account", { key }),
        await link(tenant, { type: "express" }, key),
        await api("POST", "/v1/connect/account-links", { key, body: {} }),
      ];
      for (const res of calls) {
        expect(res.status).toBe(403);
        expect(res.body.type).toMatch(/insufficient-scope$/);
      }
    }
    expect(
      await db.select().from(connectedAccounts).where(eq(connectedAccounts.creatorId, tenant.creatorId)),
    ).toEqual([]);
  });

  it("a late account.updated re-read leaves the account as the provider holds it now", async () => {
    const tenant = await createTenant();
    const accountId = await linked(tenant, "none");
    const { connect } = sandbox();
    await onboard(db, accountId, "complete", Date.now());
    // The newer event first, then an older one that reported the account half onboarded: both re-read.
    await syncAccount(db, connect, accountId, Date.now());
    await syncAccount(db, connect, accountId, Date.now());
    const [row] = await db.select().from(connectedAccounts).where(eq(connectedAccounts.accountId, accountId));
    expect(row).toMatchObject({ chargesEnabled: true, detailsSubmitted: true, requirementsDue: "[]" });
    const updates = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.subjectId, accountId), eq(auditEvents.action, "connect.account_updated")));
    expect(updates).toHaveLength(1);
  });
});

describe("account.updated from Stripe", () => {
  const CONNECT_SECRET = "whsec_connectendpointsecret";

  async function stripeLinked() {
    const world = stripeWorld();
    Object.assign(world.bindings, { STRIPE_CONNECT_WEBHOOK_SECRET: CONNECT_SECRET });
    const tenant = await createTenant();
    const res = await world.call("POST", "/v1/connect/account", JSON.stringify({ type: "express" }), {
      authorization: `Bearer ${tenant.key}`,
      "idempotency-key": crypto.randomUUID(),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ provider: "stripe", ready: false });
    const accountId = res.body.account_id as string;
    const updates = () =>
      world.fake.events.filter(
        (e) => e.type === "account.updated" && (e.data.object as { id?: string }).id === accountId,
      );
    return { world, tenant, accountId, updates };
  }

  const stored = async (accountId: string) =>
    (await db.select().from(connectedAccounts).where(eq(connectedAccounts.accountId, accountId)))[0];

  it("a Connect event signed with the Connect endpoint's secret re-reads the account; a late, older one changes nothing", async () => {
    const { world, accountId, updates } = await stripeLinked();
    world.fake.completeOnboarding(accountId);
    world.tick();
    world.fake.restrictAccount(accountId, "requirements.past_due");
    const [onboarded, restricted] = updates().slice(-2);
    if (onboarded === undefined || restricted === undefined) throw new Error("no account.updated events");
    // The newer event first, then the older one that still says ready: both re-read the account.
    expect((await world.deliver(restricted, { secret: CONNECT_SECRET })).status).toBe(200);
    expect((await world.deliver(onboarded, { secret: CONNECT_SECRET })).status).toBe(200);
    expect(await stored(accountId)).toMatchObject({
      chargesEnabled: false,
      disabledReason: "requirements.past_due",
    });
    const read = await world.call("GET", "/v1/connect/account", undefined, {
      authorization: `Bearer ${(await createTenant()).key}`,
    });
    expect(read.status).toBe(404);
  });

  it("an account.updated signed with neither secret is refused and changes nothing", async () => {
    const { world, accountId, updates } = await stripeLinked();
    world.fake.completeOnboarding(accountId);
    const [event] = updates().slice(-1);
    if (event === undefined) throw new Error("no account.updated event");
    const res = await world.deliver(event, { secret: "whsec_somebodyelse" });
    expect(res.status).toBe(400);
    expect(await stored(accountId)).toMatchObject({ chargesEnabled: false, detailsSubmitted: false });
    // The platform's own secret is accepted too.
    expect((await world.deliver(event)).status).toBe(200);
    expect(await stored(accountId)).toMatchObject({ chargesEnabled: true, detailsSubmitted: true });
  });
});

describe("renewals", () => {
  it("refunding a renewal paid to the creator's account takes the creator's share back", async () => {
    const tenant = await createTenant();
    const accountId = await linked(tenant);
    await setFee(tenant, 1000);
    const { id } = await subscribe(tenant);
    expect(await advance(tenant, "P1W")).toMatchObject({ renewed: 1 });
    const renewal = (await paymentsOf(id)).at(-1);
    if (renewal === undefined) throw new Error("no renewal");
    expect(renewal.transferDestination).toBe(accountId);
    const fee = Math.floor((renewal.amount * 1000) / 10_000);
    expect(renewal.applicationFeeAmount).toBe(fee);
    const refunded = await api("POST", `/v1/subscriptions/${id}/refund`, { key: tenant.key, body: {} });
    expect(refunded.status, JSON.stringify(refunded.body)).toBe(200);
    expect(await transfersOf(renewal.id)).toEqual([
      expect.objectContaining({
        kind: "reversal",
        reason: "refund",
        accountId,
        amount: renewal.amount - fee,
        feeRefunded: fee,
      }),
    ]);
  });

  it("a renewal for a creator whose payout account stopped being ready fails the attempt instead of charging on the platform", async () => {
    const tenant = await createTenant();
    const { id } = await subscribe(tenant);
    const charged = (await paymentsOf(id)).length;
    // The creator links an account after the membership began, and has not finished onboarding.
    await linked(tenant, "leave");
    expect(await advance(tenant, "P1W")).toMatchObject({ failed: 1, renewed: 0 });
    expect(await paymentsOf(id)).toHaveLength(charged);
    const open = (await invoicesOf(id)).filter((i) => i.status === "open");
    expect(open).toHaveLength(1);
    expect(JSON.parse(open[0]?.lastError ?? "{}")).toMatchObject({ code: "payouts_not_ready" });
    // Once the account is ready, dunning's retry charges it to the creator's account.
    const [account] = await db
      .select()
      .from(connectedAccounts)
      .where(eq(connectedAccounts.creatorId, tenant.creatorId));
    if (account === undefined) throw new Error("no account");
    await onboard(db, account.accountId, "complete", Date.now());
    await syncAccount(db, sandbox().connect, account.accountId, Date.now());
    const retried = await advance(tenant, "P3D");
    expect(retried.recovered, JSON.stringify(retried)).toBe(1);
    const renewal = (await paymentsOf(id)).at(-1);
    expect(renewal?.transferDestination).toBe(account.accountId);
  });
});
