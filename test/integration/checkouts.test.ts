import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents, entitlements, orders } from "../../src/db/schema";
import type { Json } from "../support/api";
import { checkout, confirm, quotedDrop, readCheckout } from "../support/checkouts";
import { expectInvariants } from "../support/drops";
import { introspect } from "../support/entitlements";
import { createTenant, db, tableCounts } from "../support/tenants";

const email = () => `buyer-${crypto.randomUUID()}@example.test`;

/** A new creator with a live drop, and a buyer holding a fresh quote for one unit of it. */
async function buyerWithQuote() {
  const tenant = await createTenant();
  const buyerId = crypto.randomUUID();
  return { tenant, buyerId, ...(await quotedDrop(tenant, buyerId)) };
}

/** The buyer pays for their quote with a sandbox test card. */
const pay = (quote: Json, buyerId: string, card: string) =>
  checkout({ quote: quote.token, email: email(), payment_method: card }, { buyerId });

describe("POST /v1/checkouts with the sandbox", () => {
  it("pays with 4242…, commits the hold, marks the order paid, grants access and hands over a purchase token", async () => {
    const { tenant, buyerId, drop, quote } = await buyerWithQuote();
    const res = await pay(quote, buyerId, "4242 4242 4242 4242");
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      object: "checkout",
      status: "paid",
      amount: quote.total,
      currency: "USD",
      drop_id: drop.id,
      payment: { provider: "sandbox", client_secret: null },
      failure: null,
    });
    expect(res.body.secret).toMatch(new RegExp(`^${res.body.id}_secret_`));
    const snapshot = await expectInvariants(drop.id);
    expect(snapshot).toMatchObject({ sold: 1, held: 0, available: 4 });

    const read = await readCheckout(res.body.id, res.body.secret);
    expect(read.body.entitlement).toMatchObject({ entitlements: [drop.offer_id], token_type: "Bearer" });
    // An anonymous buyer proved only an email: a purchase receipt, and no refresh credential.
    expect(read.body.entitlement).toMatchObject({ refresh_token: null, refresh_expires_at: null });
    const checked = await introspect(read.body.entitlement.token, tenant.creatorId);
    expect(checked.status).toBe(200);
    expect(checked.body).toMatchObject({ scope: "purchase", entitlements: [drop.offer_id] });
    const [order] = await db.select().from(orders).where(eq(orders.id, res.body.order_id));
    expect(order).toMatchObject({ status: "paid", provider: "sandbox", buyerKey: `anon:${buyerId}` });
    const granted = await db.select().from(entitlements).where(eq(entitlements.sourceId, res.body.order_id));
    expect(granted).toHaveLength(1);
  });

  it.each([
    ["4000 0000 0000 0002", "generic_decline"],
    ["4000 0000 0000 9995", "insufficient_funds"],
  ])("declines %s: records %s and releases the hold at once", async (card, declineCode) => {
    const { buyerId, drop, quote } = await buyerWithQuote();
    const res = await pay(quote, buyerId, card);
    expect(res.body).toMatchObject({
      status: "failed",
      failure: { code: "card_declined", decline_code: declineCode },
    });
    expect(await expectInvariants(drop.id)).toMatchObject({ sold: 0, held: 0, available: 5 });
    const [order] = await db.select().from(orders).where(eq(orders.id, res.body.order_id));
    expect(order?.status).toBe("failed");
    expect((await readCheckout(res.body.id, res.body.secret)).body.entitlement).toBeNull();
  });

  it("answers 3-D Secure with requires_action, extends the hold once, and completes on confirm", async () => {
    const { buyerId, drop, quote } = await buyerWithQuote();
    const res = await pay(quote, buyerId, "4000002760003184");
    expect(res.body).toMatchObject({ status: "requires_action", hold: { extended: true } });
    expect(res.body.payment.next_action).toMatchObject({ type: "redirect_to_url" });
    const confirmed = await confirm(res.body.id, res.body.secret);
    expect(confirmed.body).toMatchObject({ status: "paid", entitlement: { entitlements: [drop.offer_id] } });
    expect(await expectInvariants(drop.id)).toMatchObject({ sold: 1, held: 0 });
  });

  it("waits for a method when none is given, then completes when the buyer confirms with one", async () => {
    const { buyerId, quote } = await buyerWithQuote();
    const res = await checkout({ quote: quote.token, email: email() }, { buyerId });
    expect(res.body).toMatchObject({ status: "pending" });
    expect(res.body.payment.client_secret).toMatch(/_secret_/);
    const confirmed = await confirm(res.body.id, res.body.secret, { payment_method: "pm_card_visa" });
    expect(confirmed.body.status).toBe("paid");
  });

  it("completes exactly once when five confirms race the sandbox's own event", async () => {
    const { buyerId, drop, quote } = await buyerWithQuote();
    const res = await pay(quote, buyerId, "4000002760003184");
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => confirm(res.body.id, res.body.secret)));
    expect(results.every((r) => r.status === 200 && r.body.status === "paid")).toBe(true);
    const paid = await db.select().from(auditEvents).where(eq(auditEvents.subjectId, res.body.order_id));
    expect(paid.filter((e) => e.action === "order.paid")).toHaveLength(1);
    expect(
      await db.select().from(entitlements).where(eq(entitlements.sourceId, res.body.order_id)),
    ).toHaveLength(1);
    expect(await expectInvariants(drop.id)).toMatchObject({ sold: 1 });
  });
});

describe("checkout Idempotency-Key", () => {
  it("is required (400), replays the same body, refuses another body (422)", async () => {
    const { buyerId, drop, quote } = await buyerWithQuote();
    const body = { quote: quote.token, email: email(), payment_method: "4242424242424242" };
    expect((await checkout(body, { buyerId, key: null })).status).toBe(400);
    const key = `chk-${crypto.randomUUID()}`;
    const first = await checkout(body, { buyerId, key });
    const replay = await checkout(body, { buyerId, key });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    // The same stored answer; the entitlement's token is minted afresh on a replay (short-lived).
    // The replay mints a fresh token, so its expiry may be a second later when the replay crosses one.
    const withoutToken = (b: Json) => ({
      ...b,
      entitlement: { ...b.entitlement, token: "minted", expires_at: "minted" },
    });
    expect(first.body.entitlement.token).toEqual(expect.any(String));
    expect(replay.body.entitlement.token).not.toBe(first.body.entitlement.token);
    expect(Date.parse(replay.body.entitlement.expires_at)).toBeGreaterThanOrEqual(
      Date.parse(first.body.entitlement.expires_at),
    );
    expect(withoutToken(replay.body)).toEqual(withoutToken(first.body));
    const other = await checkout({ ...body, email: email() }, { buyerId, key });
    expect(other.status).toBe(422);
    expect(other.body.type).toMatch(/idempotency-key-reused$/);
    expect(await expectInvariants(drop.id)).toMatchObject({ sold: 1, held: 0 });
  });
});

describe("a quote pays for one order", () => {
  it("refuses a second checkout with the same quote (409), also when both race, and leaves no extra hold", async () => {
    const { buyerId, drop, quote } = await buyerWithQuote();
    const body = { quote: quote.token, email: email(), payment_method: "4242424242424242" };
    const racing = await Promise.all([1, 2, 3].map(() => checkout(body, { buyerId })));
    expect(racing.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    expect((await checkout(body, { buyerId })).status).toBe(409);
    expect(await expectInvariants(drop.id)).toMatchObject({ sold: 1, held: 0 });
  });
});

describe("who may check out and read", () => {
  it("refuses a quote made for another buyer, a tampered quote and a bad email, writing nothing", async () => {
    const tenant = await createTenant();
    const { quote } = await quotedDrop(tenant, "quote-owner");
    const before = await tableCounts();
    const stranger = await checkout({ quote: quote.token, email: email() }, { buyerId: "someone-else" });
    expect(stranger.status).toBe(422);
    const tampered = await checkout(
      { quote: `${quote.token.slice(0, -3)}abc`, email: email() },
      { buyerId: "quote-owner" },
    );
    expect(tampered.status).toBe(422);
    const badEmail = await checkout(
      { quote: quote.token, email: "not-an-email" },
      { buyerId: "quote-owner" },
    );
    expect(badEmail.status).toBe(422);
    const garbage = await checkout({ quote: "nope", email: email() }, { buyerId: "quote-owner" });
    expect(garbage.status).toBe(422);
    expect(await tableCounts()).toEqual(before);
  });

  it("answers 404 to anyone without the checkout's own secret", async () => {
    const tenant = await createTenant();
    const [a, b] = ["buyer-aaaa", "buyer-bbbb"];
    const qa = await quotedDrop(tenant, a);
    const qb = await quotedDrop(tenant, b);
    const ca = await checkout(
      { quote: qa.quote.token, email: email(), payment_method: "4242424242424242" },
      { buyerId: a },
    );
    const cb = await checkout(
      { quote: qb.quote.token, email: email(), payment_method: "4242424242424242" },
      { buyerId: b },
    );
    expect((await readCheckout(ca.body.id, cb.body.secret)).status).toBe(404);
    expect((await readCheckout(ca.body.id, `${ca.body.id}_secret_guess`)).status).toBe(404);
    expect((await confirm(ca.body.id, cb.body.secret)).status).toBe(404);
    expect((await readCheckout(ca.body.id, ca.body.secret)).status).toBe(200);
  });
});
