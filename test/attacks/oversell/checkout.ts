/**
 * Oversell through checkout: a bundle holds each component's drop, all or nothing, and a drop's offer
 * never sells outside its drop.
 */
import { describe, expect, it } from "vitest";
import { api } from "../../support/api";
import { checkout, confirm } from "../../support/checkouts";
import { expectInvariants } from "../../support/drops";
import { createBundle, createDrop } from "../../support/fixtures";
import { buyer, quote } from "../../support/quotes";
import { createTenant } from "../../support/tenants";

const email = () => `buyer-${crypto.randomUUID()}@example.test`;

describe("oversell: checkout", () => {
  it("a bundle's checkout takes a unit from every component's drop and sells them together", async () => {
    const tenant = await createTenant();
    const shirt = await createDrop(tenant, { stock: 2 });
    const print = await createDrop(tenant, { stock: 5 });
    const bundle = await createBundle(tenant, [
      { offer_id: shirt.offer_id, quantity: 1 },
      { offer_id: print.offer_id, quantity: 2 },
    ]);
    const buyerId = `bundle-${crypto.randomUUID()}`;
    const q = await quote({ offer_id: bundle.id }, buyer(buyerId));
    expect(q.status).toBe(201);
    const paid = await checkout(
      { quote: q.body.token, email: email(), payment_method: "4242424242424242" },
      { buyerId },
    );
    expect(paid.body.status).toBe("paid");
    expect(await expectInvariants(shirt.id)).toMatchObject({ sold: 1, held: 0 });
    expect(await expectInvariants(print.id)).toMatchObject({ sold: 2, held: 0 });
  });

  it("a bundle whose component drop is sold out takes nothing from the other drops (all or nothing)", async () => {
    const tenant = await createTenant();
    const shirt = await createDrop(tenant, { stock: 1 });
    const print = await createDrop(tenant, { stock: 5 });
    const bundle = await createBundle(tenant, [
      { offer_id: shirt.offer_id, quantity: 1 },
      { offer_id: print.offer_id, quantity: 1 },
    ]);
    // Someone buys the last shirt on its own.
    const first = `shirt-${crypto.randomUUID()}`;
    const shirtQuote = await quote({ offer_id: shirt.offer_id, drop_id: shirt.id }, buyer(first));
    const sold = await checkout(
      { quote: shirtQuote.body.token, email: email(), payment_method: "4242424242424242" },
      { buyerId: first },
    );
    expect(sold.body.status).toBe("paid");
    const buyerId = `bundle-${crypto.randomUUID()}`;
    const q = await quote({ offer_id: bundle.id }, buyer(buyerId));
    const refused = await checkout(
      { quote: q.body.token, email: email(), payment_method: "4242424242424242" },
      { buyerId },
    );
    expect(refused.status).toBe(409);
    expect(refused.body.type).toMatch(/sold-out$/);
    expect(await expectInvariants(print.id)).toMatchObject({ sold: 0, held: 0, available: 5 });
  });

  it("a declined bundle payment gives back every component drop's units at once", async () => {
    const tenant = await createTenant();
    const shirt = await createDrop(tenant, { stock: 3 });
    const print = await createDrop(tenant, { stock: 3 });
    const bundle = await createBundle(tenant, [
      { offer_id: shirt.offer_id, quantity: 1 },
      { offer_id: print.offer_id, quantity: 1 },
    ]);
    const buyerId = `bundle-${crypto.randomUUID()}`;
    const q = await quote({ offer_id: bundle.id }, buyer(buyerId));
    const open = await checkout({ quote: q.body.token, email: email() }, { buyerId });
    expect(open.body.status).toBe("pending");
    expect(await expectInvariants(shirt.id)).toMatchObject({ held: 1 });
    expect(await expectInvariants(print.id)).toMatchObject({ held: 1 });
    const declined = await confirm(open.body.id, open.body.secret, { payment_method: "4000000000000002" });
    expect(declined.body.status).toBe("failed");
    for (const drop of [shirt, print]) {
      expect(await expectInvariants(drop.id)).toMatchObject({ held: 0, sold: 0, available: 3 });
    }
  });

  it("a drop's offer bought without its drop is refused at quote, so no checkout sells around the drop", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 1 });
    const q = await quote({ offer_id: drop.offer_id }, buyer(`around-${crypto.randomUUID()}`));
    expect(q.status).toBe(422);
    expect((await api("GET", `/v1/drops/${drop.id}/stock`)).body).toMatchObject({ sold: 0, held: 0 });
  });
});
