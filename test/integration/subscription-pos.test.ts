/**
 * Pop-up to subscription: a tier bought at a pop-up's till becomes a renewing subscription online,
 * and the period the till was paid for is never charged again.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { members, sandboxPayments } from "../../src/db/schema";
import { api } from "../support/api";
import { createOffer, membershipTier } from "../support/fixtures";
import { posDevice, posItem, syncItems } from "../support/pos";
import { advance, invoicesOf, sessionOf, subscribe, VISA } from "../support/subscriptions";
import { createTenant, db } from "../support/tenants";

const convert = (token: string, body: Record<string, unknown>) =>
  api("POST", "/v1/me/subscriptions", { headers: { authorization: `Bearer ${token}` }, body });

const chargesOf = async (id: string) =>
  (await db.select().from(sandboxPayments)).filter((p) => JSON.parse(p.metadata).subscription_id === id);

describe("a tier bought at a pop-up, turned into a subscription", () => {
  it("renews from the end of the till's period: nothing is charged for the period the till was paid for", async () => {
    const tenant = await createTenant();
    const tier = await createOffer(tenant, membershipTier({ billing_interval: "week" }));
    const device = await posDevice(tenant);
    const item = posItem(tier.id);
    expect((await syncItems(device, [item])).status).toBe(200);
    const [member] = await db.select().from(members).where(eq(members.email, item.email));
    if (member === undefined) throw new Error("the till made no member");
    const token = await sessionOf(tenant, member.id);
    const made = await convert(token, { offer_id: tier.id, payment_method: VISA });
    expect(made.status).toBe(201);
    const sub = made.body;
    expect(sub.status).toBe("trialing");
    // The till's week ends an hour short of a week from now (the sale was captured an hour ago).
    const tillEnd = Date.parse(item.captured_at) + 7 * 24 * 3600_000;
    expect(Date.parse(sub.current_period_end)).toBe(tillEnd);
    expect(await chargesOf(sub.id)).toHaveLength(0);
    // A retry answers the same subscription and charges nothing.
    const again = await convert(token, { offer_id: tier.id, payment_method: VISA });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(sub.id);
    expect(await advance(tenant, "P1W")).toMatchObject({ renewed: 1 });
    const invoices = await invoicesOf(sub.id);
    expect(invoices.map((i) => [i.periodStart, i.status])).toEqual([[tillEnd, "paid"]]);
    expect(await chargesOf(sub.id)).toHaveLength(1);
  });

  it("refuses a member with no till-bought tier, and one who already subscribes online", async () => {
    const tenant = await createTenant();
    const { tier, token } = await subscribe(tenant);
    expect((await convert(token, { offer_id: tier.id, payment_method: VISA })).status).toBe(409);
  });
});
