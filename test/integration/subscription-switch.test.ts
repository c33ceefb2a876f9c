/**
 * Switching tier mid-period through the member's routes: the proration shown by a signed change quote is
 * exactly what is charged (or refunded), the tier moves at once, and the next renewal charges the new
 * price. A replayed quote changes nothing; tampered, stale and other members' quotes are in the attack suite.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { mrrMovements, sandboxRefunds } from "../../src/db/schema";
import { api } from "../support/api";
import { createOffer, membershipTier } from "../support/fixtures";
import { pricedOffer, quote } from "../support/quotes";
import {
  advance,
  applyQuote,
  change,
  DAY,
  invoicesOf,
  ladder,
  paymentsOf,
  quoteFor,
  sessionOf,
  subscribe,
  tiersOf,
  tokenVersionOf,
  WEEK,
} from "../support/subscriptions";
import { createTenant, db } from "../support/tenants";

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
  it("the member's tier and price follow the subscription: an upgrade prices them at the new tier at once, a lapse at the plain price", async () => {
    const tenant = await createTenant();
    const { fan, merch } = await ladder(tenant);
    const poster = await pricedOffer(tenant, {
      prices: [{ currency: "USD", amount: 1000 }],
      member_discounts: [{ tier_offer_id: merch.id, percent_off: 10 }],
    });
    const { id, memberId, token } = await subscribe(tenant, fan);
    const priced = async () =>
      (await quote({ offer_id: poster.id, member_id: memberId }, {}, tenant.key)).body.total;
    const tierNow = async () =>
      (await api("GET", `/v1/members/${memberId}`, { key: tenant.key })).body.tier_offer_id;
    expect([await tierNow(), await priced()]).toEqual([fan.id, 1000]);
    const quoted = await quoteFor(token, id, merch.id);
    await applyQuote(token, id, quoted.body.token);
    expect([await tierNow(), await priced()]).toEqual([merch.id, 900]);
    await change(tenant, id, { payment_method: "4000000000000341" });
    await advance(tenant, "P1W");
    // past_due: the grace keeps the tier, and its price.
    expect(await priced()).toBe(900);
    await advance(tenant, "P3DT1H");
    expect([await tierNow(), await priced()]).toEqual([null, 1000]);
  });
});
