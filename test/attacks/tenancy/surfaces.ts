import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, type Json } from "../../support/api";
import { createDrop, createOffer } from "../../support/fixtures";
import { createTenant, type Tenant, tableCounts } from "../../support/tenants";

const link = async (tenant: Tenant, body: Record<string, unknown>): Promise<Json> => {
  const res = await api("POST", "/v1/links", { key: tenant.key, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
};

const overlayStatus = async (dropId: string, token: string) => {
  const res = await exports.default.fetch(`http://api.test/overlay/${dropId}?token=${token}`);
  await res.body?.cancel();
  return res.status;
};

describe("tenancy: buyer surfaces", () => {
  it("another creator's key reading, listing or archiving a link gets 404 and changes nothing", async () => {
    const [owner, other] = [await createTenant(), await createTenant()];
    const created = await link(owner, { offer_id: (await createOffer(owner)).id });
    const before = await tableCounts();
    expect((await api("GET", `/v1/links/${created.id}`, { key: other.key })).status).toBe(404);
    expect((await api("POST", `/v1/links/${created.id}/archive`, { key: other.key })).status).toBe(404);
    expect((await api("GET", "/v1/links", { key: other.key })).body.data).toEqual([]);
    expect(await tableCounts()).toEqual(before);
    const page = await exports.default.fetch(`http://api.test/l/${created.id}`);
    await page.body?.cancel();
    expect(page.status).toBe(200);
  });

  it("a link naming another creator's offer, drop or coupon is refused and nothing is written", async () => {
    const [owner, other] = [await createTenant(), await createTenant()];
    const theirs = await createDrop(other, { stock: 5 });
    const before = await tableCounts();
    for (const body of [
      { offer_id: theirs.offer_id },
      { offer_id: theirs.offer_id, drop_id: theirs.id },
      { offer_id: (await createOffer(owner)).id, drop_id: theirs.id },
    ]) {
      const res = await api("POST", "/v1/links", { key: owner.key, body });
      expect(res.status, JSON.stringify(body)).toBe(404);
    }
    // The owner's own offer (made inside the loop) is the only row it may have added: no link, no audit of one.
    const after = await tableCounts();
    expect(after.checkout_links).toBe(before.checkout_links);
  });

  it("another creator's key rotating a drop's overlay token gets 404; the owner's overlay keeps working", async () => {
    const [owner, other] = [await createTenant(), await createTenant()];
    const drop = await createDrop(owner, { stock: 5 });
    const issued = await api("POST", `/v1/drops/${drop.id}/overlay-token`, { key: owner.key, body: {} });
    expect(issued.status).toBe(201);
    const before = await tableCounts();
    const res = await api("POST", `/v1/drops/${drop.id}/overlay-token`, { key: other.key, body: {} });
    expect(res.status).toBe(404);
    expect(await tableCounts()).toEqual(before);
    expect(await overlayStatus(drop.id, issued.body.token)).toBe(200);
  });

  it("an overlay token pointed at another creator's link is refused: the QR can only name the owner's", async () => {
    const [owner, other] = [await createTenant(), await createTenant()];
    const drop = await createDrop(owner, { stock: 5 });
    const theirDrop = await createDrop(other, { stock: 5 });
    const theirLink = await link(other, { offer_id: theirDrop.offer_id, drop_id: theirDrop.id });
    const res = await api("POST", `/v1/drops/${drop.id}/overlay-token`, {
      key: owner.key,
      body: { link_id: theirLink.id },
    });
    expect(res.status).toBe(404);
  });

  it("one creator's allow-list never changes another's", async () => {
    const [a, b] = [await createTenant(), await createTenant()];
    await api("PUT", "/v1/allowed-origins", { key: b.key, body: { origins: ["https://b.example.com"] } });
    await api("PUT", "/v1/allowed-origins", { key: a.key, body: { origins: ["https://a.example.com"] } });
    await api("PUT", "/v1/allowed-origins", { key: a.key, body: { origins: [] } });
    expect((await api("GET", "/v1/allowed-origins", { key: b.key })).body.origins).toEqual([
      "https://b.example.com",
    ]);
  });
});
