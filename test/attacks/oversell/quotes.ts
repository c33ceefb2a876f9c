import { eq } from "drizzle-orm";
import { base64url, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { drops, orders } from "../../../src/db/schema";
import { verifyQuote } from "../../../src/quotes/token";
import { api } from "../../support/api";
import { checkout } from "../../support/checkouts";
import { createBundle, createDrop, createOffer } from "../../support/fixtures";
import { buyer, quote, testQuoteKeys } from "../../support/quotes";
import { createTenant, db } from "../../support/tenants";

const email = () => `buyer-${crypto.randomUUID()}@example.test`;
const inAnHour = () => new Date(Date.now() + 60 * 60_000).toISOString();

/** The drops a checkout of this quote must hold, as the signed token carries them. */
async function dropsOf(token: string) {
  return (await verifyQuote(await testQuoteKeys(), token, Date.now())).drops;
}

describe("oversell: quotes", () => {
  it("a buyer cannot skip a drop by quoting its offer without drop_id: a 1-unit drop that has not started sells nothing", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 1, starts_at: inAnHour() });
    const refusals = [];
    for (let i = 0; i < 3; i++) {
      const buyerId = `skip-the-drop-${i}`;
      const quoted = await quote({ offer_id: drop.offer_id }, buyer(buyerId));
      // Had a quote been signed, this is where the unit would be sold without a hold.
      if (quoted.status === 201) {
        await checkout(
          { quote: quoted.body.token, email: email(), payment_method: "4242424242424242" },
          { buyerId },
        );
      }
      refusals.push(quoted);
    }
    const sold = await db.select().from(orders).where(eq(orders.offerId, drop.offer_id));
    expect(sold.filter((o) => o.status === "paid")).toHaveLength(0);
    for (const refused of refusals) {
      expect(refused.status).toBe(422);
      expect(refused.body.errors).toEqual([
        { in: "body", path: "/drop_id", message: expect.stringContaining(drop.id) },
      ]);
    }
  });

  it("a buyer cannot skip a live drop by naming another offer's drop", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 1 });
    const decoy = await createDrop(tenant, { stock: 100 });
    const res = await quote({ offer_id: drop.offer_id, drop_id: decoy.id });
    expect(res.status).toBe(422);
    expect(res.body.errors[0]).toMatchObject({ path: "/drop_id", message: expect.stringContaining(drop.id) });
  });

  it("a drop offer's quote binds the drop and the quantity its checkout must hold", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 5 });
    const res = await quote({ offer_id: drop.offer_id, drop_id: drop.id, quantity: 2 });
    expect(res.status).toBe(201);
    expect(res.body.drops).toEqual([{ drop_id: drop.id, quantity: 2 }]);
    expect(await dropsOf(res.body.token)).toEqual([{ dropId: drop.id, quantity: 2 }]);
  });

  it("a bundle cannot carry a component out of its drop: its quote binds every component's drop, times the quantity", async () => {
    const tenant = await createTenant();
    const shirt = await createDrop(tenant, { stock: 1 });
    const print = await createDrop(tenant, { stock: 10, starts_at: inAnHour() });
    const sticker = await createOffer(tenant);
    const bundle = await createBundle(tenant, [
      { offer_id: shirt.offer_id, quantity: 1 },
      { offer_id: print.offer_id, quantity: 2 },
      { offer_id: sticker.id, quantity: 3 },
    ]);
    const res = await quote({ offer_id: bundle.id, quantity: 2 });
    expect(res.status).toBe(201);
    const expected = [
      { dropId: shirt.id, quantity: 2 },
      { dropId: print.id, quantity: 4 },
    ].sort((a, b) => a.dropId.localeCompare(b.dropId));
    expect(await dropsOf(res.body.token)).toEqual(expected);
    expect(res.body.drops).toEqual(expected.map((d) => ({ drop_id: d.dropId, quantity: d.quantity })));
    const verified = await api("POST", "/v1/quotes/verify", {
      key: tenant.key,
      body: { token: res.body.token },
    });
    expect(verified.body.drops).toEqual(res.body.drops);
  });

  it("a closed or ended drop no longer binds its offer, so the offer sells as before", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 1 });
    await db.update(drops).set({ state: "closed" }).where(eq(drops.id, drop.id));
    const ended = await createDrop(tenant, { stock: 1 });
    await db
      .update(drops)
      .set({ startsAt: Date.now() - 120_000, endsAt: Date.now() - 60_000 })
      .where(eq(drops.id, ended.id));
    for (const offerId of [drop.offer_id, ended.offer_id]) {
      const res = await quote({ offer_id: offerId });
      expect(res.status).toBe(201);
      expect(res.body.drops).toEqual([]);
      expect(await dropsOf(res.body.token)).toEqual([]);
    }
  });

  it("a quote signed before drops were bound (no drops claim) is refused, not read as holding nothing", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const { token } = (await quote({ offer_id: offer.id })).body;
    const keys = await testQuoteKeys();
    const { drs: _drops, ...older } = JSON.parse(
      new TextDecoder().decode(base64url.decode(token.split(".")[1])),
    );
    const key = keys.byKid.get("q2");
    if (key === undefined) throw new Error("the test config has key q2");
    const oldToken = await new SignJWT(older)
      .setProtectedHeader({ alg: "HS256", typ: "quote+jwt", kid: "q2" })
      .sign(key);
    const res = await api("POST", "/v1/quotes/verify", { key: tenant.key, body: { token: oldToken } });
    expect(res.status).toBe(422);
    expect(res.body.type).toMatch(/quote-invalid$/);
  });
});
