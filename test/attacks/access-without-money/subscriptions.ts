import { describe, expect, it } from "vitest";
import { api } from "../../support/api";
import {
  advance,
  applyQuote,
  change,
  changeMine,
  ladder,
  paymentsOf,
  quoteFor,
  readSubscription,
  subscribe,
} from "../../support/subscriptions";
import { createTenant } from "../../support/tenants";

describe("access without money: subscriptions", () => {
  it("a tampered member token or a creator key sent as one is refused; unknown fields are rejected", async () => {
    const tenant = await createTenant();
    const { id, token } = await subscribe(tenant);
    const tampered = `${token.slice(0, -4)}AAAA`;
    expect((await changeMine(tampered, id, { cancel_at_period_end: true })).status).toBe(422);
    expect((await changeMine(tenant.key, id, { cancel_at_period_end: true })).status).toBe(422);
    expect((await changeMine(token, id, { cancel_at_period_end: true, status: "active" })).status).toBe(422);
    expect((await change(tenant, id, {})).status).toBe(422);
    expect((await readSubscription(tenant, id)).cancel_at_period_end).toBe(false);
  });

  it("a clock advance that is empty, malformed or longer than a year is refused and moves nothing", async () => {
    const tenant = await createTenant();
    const { id } = await subscribe(tenant);
    for (const by of ["P", "PT", "3 weeks", "P60W", "P400D", "P99999999999999999999W"]) {
      const res = await api("POST", "/v1/dev/clock", { key: tenant.key, body: { by } });
      expect(res.status, by).toBe(422);
    }
    expect((await readSubscription(tenant, id)).clock.offset_seconds).toBe(0);
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
});
