import { describe, expect, it } from "vitest";
import { api, type Json } from "../../support/api";
import { insertOrders, paidOrder, parseCsv } from "../../support/creator-reads";
import { createOffer } from "../../support/fixtures";
import { createTenant, tableCounts } from "../../support/tenants";

const DAY_START = Date.UTC(2025, 5, 1);
const exportRange = `created_from=${new Date(DAY_START).toISOString()}&created_to=${new Date(DAY_START + 86_400_000).toISOString()}`;

describe("tenancy: the creator's reads", () => {
  it("another creator's key filtering checkouts by the owner's member, email or drop sees none, and nothing changes", async () => {
    const [owner, other] = [await createTenant(), await createTenant()];
    const { checkout: paid, drop } = await paidOrder(owner);
    const before = await tableCounts();
    for (const query of [
      "",
      `?member_id=${paid.member_id}`,
      `?email=${encodeURIComponent(paid.email)}`,
      `?drop_id=${drop.id}`,
      "?status=paid",
    ]) {
      const res = await api("GET", `/v1/checkouts${query}`, { key: other.key });
      expect(res, query).toMatchObject({ status: 200, body: { data: [], has_more: false } });
    }
    expect(await tableCounts()).toEqual(before);
  });

  it("another creator's key reading the owner's member summary, or its order with the checkout, gets 404", async () => {
    const [owner, other] = [await createTenant(), await createTenant()];
    const { checkout: paid, orderId } = await paidOrder(owner);
    const before = await tableCounts();
    const summary = await api("GET", `/v1/members/${paid.member_id}/summary`, { key: other.key });
    expect(summary.status).toBe(404);
    expect(JSON.stringify(summary.body)).not.toContain(paid.email);
    expect((await api("GET", `/v1/orders/${orderId}`, { key: other.key })).status).toBe(404);
    expect(await tableCounts()).toEqual(before);
  });

  it("a member summary never lists another creator's orders, entitlements or subscriptions for the same person", async () => {
    const [owner, other] = [await createTenant(), await createTenant()];
    // The same buyer (one email) buys from both creators: two members, one per creator.
    const mine = await paidOrder(owner, { email: "same-person@example.com" });
    const theirs = await paidOrder(other, { email: "same-person@example.com" });
    expect(mine.checkout.member_id).not.toBe(theirs.checkout.member_id);
    const res = await api("GET", `/v1/members/${mine.checkout.member_id}/summary`, { key: owner.key });
    expect(res.body.orders.data.map((o: Json) => o.id)).toEqual([mine.orderId]);
    expect(JSON.stringify(res.body)).not.toContain(theirs.orderId);
  });

  it("another creator's key exporting the owner's range, offer or drop gets the header row only", async () => {
    const [owner, other] = [await createTenant(), await createTenant()];
    const offer = await createOffer(owner);
    await insertOrders(owner, offer.id, 3, DAY_START);
    for (const query of [exportRange, `${exportRange}&offer_id=${offer.id}`]) {
      const res = await api("GET", `/v1/orders.csv?${query}`, { key: other.key });
      expect(res.status).toBe(200);
      expect(parseCsv(res.body as string)).toHaveLength(1);
    }
  });
});
