import { describe, expect, it } from "vitest";
import { api } from "../../support/api";
import {
  advance,
  applyQuote,
  change,
  changeMine,
  ladder,
  quoteFor,
  readSubscription,
  subscribe,
} from "../../support/subscriptions";
import { createTenant } from "../../support/tenants";

describe("tenancy: subscriptions", () => {
  it("a member cancelling someone else's subscription gets 404 and changes nothing", async () => {
    const tenant = await createTenant();
    const victim = await subscribe(tenant);
    const attacker = await subscribe(tenant, victim.tier);
    const res = await changeMine(attacker.token, victim.id, { cancel_at_period_end: true });
    expect(res.status).toBe(404);
    expect((await readSubscription(tenant, victim.id)).cancel_at_period_end).toBe(false);
  });

  it("another creator's API key reading, changing or cancelling a subscription gets 404", async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const { id } = await subscribe(tenant);
    expect((await api("GET", `/v1/subscriptions/${id}`, { key: other.key })).status).toBe(404);
    expect((await change(other, id, { paused: true })).status).toBe(404);
    expect((await api("POST", `/v1/subscriptions/${id}/cancel`, { key: other.key })).status).toBe(404);
    expect((await advance(other, "P3W")).subscriptions).toBe(0);
    expect((await readSubscription(tenant, id)).status).toBe("active");
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
});
