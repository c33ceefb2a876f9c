/**
 * Switching tier mid-period through the member's routes: the proration shown by a signed change quote is
 * exactly what is charged (or refunded), the tier moves at once, and the next renewal charges the new
 * price. Attacked: a tampered quote, a stale one, one replayed, one for someone else's subscription.
 */
import { and, eq, isNull } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { entitlements, mrrMovements, sandboxPayments, sandboxRefunds } from "../../src/db/schema";
import { api } from "../support/api";
import { createOffer, membershipTier } from "../support/fixtures";
import {
  advance,
  DAY,
  invoicesOf,
  readSubscription,
  sessionOf,
  subscribe,
  tokenVersionOf,
  WEEK,
} from "../support/subscriptions";
import { createTenant, db, type Tenant } from "../support/tenants";

const asMember = (token: string) => ({ authorization: `Bearer ${token}` });
const quoteFor = (token: string, id: string, offerId: string) =>
  api("POST", `/v1/me/subscriptions/${id}/change-quotes`, {
    headers: asMember(token),
    body: { offer_id: offerId },
  });
const applyQuote = (token: string, id: string, quote: string) =>
  api("POST", `/v1/me/subscriptions/${id}/tier-changes`, { headers: asMember(token), body: { quote } });

async function ladder(tenant: Tenant) {
  const fan = await createOffer(
    tenant,
    membershipTier({ title: "Fan", billing_interval: "week", tier_rank: 1 }),
  );
  const merch = await createOffer(
    tenant,
    membershipTier({
      title: "Merch",
      billing_interval: "week",
      tier_rank: 2,
      prices: [{ currency: "USD", amount: 900 }],
    }),
  );
  return { fan, merch };
}

/** The tiers the subscription grants now (offer ids, not revoked). */
async function tiersOf(id: string) {
  const rows = await db
    .select({ offerId: entitlements.offerId })
    .from(entitlements)
    .where(
      and(
        eq(entitlements.sourceType, "subscription"),
        eq(entitlements.sourceId, id),
        isNull(entitlements.revokedAt),
      ),
    );
  return rows.map((r) => r.offerId);
}

const paymentsOf = async (id: string) =>
  (await db.select().from(sandboxPayments)).filter((p) => JSON.parse(p.metadata).subscription_id === id);

describe("switching tier at the quoted proration", () => {
  it("an upgrade mid-period charges exactly the quoted amount, moves the tier at once, and renews at the new price", async () => {
    const tenant = await createTenant();
    const { fan, merch } = await ladder(tenant);
    const { id, memberId, token, sub } = await subscribe(tenant, fan);
    await advance(tenant, "P3DT12H");
    const quoted = await quoteFor(token, id, merch.id);
    expect(quoted.status).toBe(200);
    // Half the week is left: half of the 600 difference.
    expect(quoted.body).toMatchObject({ new_amount: 900, due_now: 300, refund_now: 0, currency: "USD" });
    const version = await tokenVersionOf(memberId);
    const applied = await applyQuote(token, id, quoted.body.token);
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({
      offer_id: merch.id,
      amount: 900,
      current_period_end: sub.current_period_end,
    });
    const charged = (await paymentsOf(id)).filter((p) => JSON.parse(p.metadata).change_quote !== undefined);
    expect(charged.map((p) => [p.amount, p.status])).toEqual([[300, "succeeded"]]);
    expect(await tiersOf(id)).toEqual([merch.id]);
    // Tokens listing the old tier stop verifying.
    expect(await tokenVersionOf(memberId)).toBe((version ?? 0) + 1);
    const movements = await db.select().from(mrrMovements).where(eq(mrrMovements.subscriptionId, id));
    expect(movements.map((m) => m.kind)).toEqual(["new", "expansion"]);
    await advance(tenant, "P4D");
    expect((await invoicesOf(id)).map((i) => i.amount)).toEqual([300, 900]);
  });

  it("a downgrade refunds exactly the quoted credit to the card that paid the period", async () => {
    const tenant = await createTenant();
    const { fan, merch } = await ladder(tenant);
    const { id, token } = await subscribe(tenant, merch);
    await advance(tenant, "P1D");
    const quoted = await quoteFor(token, id, fan.id);
    const credit = Math.round((600 * 6 * DAY) / WEEK);
    expect(quoted.body).toMatchObject({ due_now: 0, refund_now: credit, new_amount: 300 });
    expect((await applyQuote(token, id, quoted.body.token)).status).toBe(200);
    const refunds = await db.select().from(sandboxRefunds);
    const [invoice] = await invoicesOf(id);
    expect(refunds.filter((r) => r.paymentId === invoice?.paymentId).map((r) => r.amount)).toEqual([credit]);
    expect(await tiersOf(id)).toEqual([fan.id]);
  });

  it("applying the same quote twice charges once and changes nothing more", async () => {
    const tenant = await createTenant();
    const { fan, merch } = await ladder(tenant);
    const { id, token, memberId } = await subscribe(tenant, fan);
    const quoted = await quoteFor(token, id, merch.id);
    const first = await applyQuote(token, id, quoted.body.token);
    // The switch revoked tokens listing the old tier: the retry comes with a fresh sign-in.
    expect((await applyQuote(token, id, quoted.body.token)).status).toBe(410);
    const again = await applyQuote(await sessionOf(tenant, memberId), id, quoted.body.token);
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(first.body.version);
    expect(
      (await paymentsOf(id)).filter((p) => JSON.parse(p.metadata).change_quote !== undefined),
    ).toHaveLength(1);
  });

  it("a tampered change quote is refused and charges nothing", async () => {
    const tenant = await createTenant();
    const { fan, merch } = await ladder(tenant);
    const { id, token } = await subscribe(tenant, fan);
    const quoted = await quoteFor(token, id, merch.id);
    const [header, payload, signature] = quoted.body.token.split(".");
    const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
    const cheaper = btoa(JSON.stringify({ ...claims, pro: 1 }))
      .replace(/=+$/, "")
      .replace(/\+/g, "-")
      .replace(/\//g, "_");
    const res = await applyQuote(token, id, `${header}.${cheaper}.${signature}`);
    expect(res.status).toBe(422);
    expect((await readSubscription(tenant, id)).offer_id).toBe(fan.id);
    expect(await paymentsOf(id)).toHaveLength(0);
  });

  it("a quote made before a renewal no longer applies: the member asks again", async () => {
    const tenant = await createTenant();
    const { fan, merch } = await ladder(tenant);
    const { id, token } = await subscribe(tenant, fan);
    const quoted = await quoteFor(token, id, merch.id);
    await advance(tenant, "P1W");
    expect((await applyQuote(token, id, quoted.body.token)).status).toBe(409);
    expect((await readSubscription(tenant, id)).offer_id).toBe(fan.id);
  });

  it("a member applying a quote to someone else's subscription, or quoting it, gets nowhere", async () => {
    const tenant = await createTenant();
    const { fan, merch } = await ladder(tenant);
    const victim = await subscribe(tenant, fan);
    const attacker = await subscribe(tenant, fan);
    expect((await quoteFor(attacker.token, victim.id, merch.id)).status).toBe(404);
    const own = await quoteFor(attacker.token, attacker.id, merch.id);
    expect((await applyQuote(attacker.token, victim.id, own.body.token)).status).toBe(422);
    expect((await readSubscription(tenant, victim.id)).offer_id).toBe(fan.id);
  });

  it("refuses a tier on another cadence, another creator's tier, and the tier already held", async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const { fan } = await ladder(tenant);
    const monthly = await createOffer(tenant, membershipTier({ billing_interval: "month", tier_rank: 3 }));
    const theirs = await createOffer(other, membershipTier({ billing_interval: "week" }));
    const { id, token } = await subscribe(tenant, fan);
    expect((await quoteFor(token, id, monthly.id)).status).toBe(409);
    expect((await quoteFor(token, id, theirs.id)).status).toBe(404);
    expect((await quoteFor(token, id, fan.id)).status).toBe(409);
  });
});
