/**
 * Tenancy around outbound webhooks: another creator's key names this creator's endpoints and
 * deliveries and gets 404 with nothing changed; one creator's events never reach another's endpoint.
 */
import { describe, expect, it } from "vitest";
import { api } from "../../support/api";
import { createDrop } from "../../support/fixtures";
import { createTenant, tableCounts } from "../../support/tenants";
import { createEndpoint, createReceiver, deliveryRows, dispatchNow } from "../../support/webhook-receiver";

describe("tenancy: webhook endpoints", () => {
  it("another creator's key cannot read, change, rotate, test or list this creator's endpoint: 404, nothing changes", async () => {
    const [owner, other] = [await createTenant(), await createTenant()];
    const endpoint = await createEndpoint(owner, { url: createReceiver().url });
    const before = await tableCounts();
    const base = `/v1/webhook-endpoints/${endpoint.id}`;
    for (const [method, path, body] of [
      ["GET", base, undefined],
      ["GET", `${base}/secret`, undefined],
      ["GET", `/v1/webhook-deliveries?endpoint_id=${endpoint.id}`, undefined],
      ["PATCH", base, { url: "https://attacker.example/steal" }],
      ["PATCH", base, { status: "disabled" }],
      ["POST", `${base}/rotate-secret`, {}],
      ["POST", `${base}/test`, {}],
    ] as const) {
      const res = await api(method, path, { key: other.key, body });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(JSON.stringify(res.body)).not.toContain(endpoint.secret);
    }
    expect(await tableCounts()).toEqual(before);
    const mine = await api("GET", base, { key: owner.key });
    expect(mine.body).toMatchObject({ url: endpoint.url, status: "enabled" });
  });

  it("another creator's key cannot redeliver this creator's delivery", async () => {
    const [owner, other] = [await createTenant(), await createTenant()];
    const endpoint = await createEndpoint(owner, { url: createReceiver().url });
    const test = await api("POST", `/v1/webhook-endpoints/${endpoint.id}/test`, { key: owner.key, body: {} });
    const before = await tableCounts();
    const res = await api("POST", `/v1/webhook-deliveries/${test.body.id}/redeliver`, {
      key: other.key,
      body: {},
    });
    expect(res.status).toBe(404);
    expect(await tableCounts()).toEqual(before);
  });

  it("one creator's events never reach another creator's endpoint", async () => {
    const [a, b] = [await createTenant(), await createTenant()];
    const endpointA = await createEndpoint(a, { url: createReceiver().url });
    const endpointB = await createEndpoint(b, { url: createReceiver().url });
    const dropA = await createDrop(a);
    const dropB = await createDrop(b);
    await dispatchNow();
    expect((await deliveryRows(endpointA.id)).map((r) => r.subject_id)).toEqual([dropA.id]);
    expect((await deliveryRows(endpointB.id)).map((r) => r.subject_id)).toEqual([dropB.id]);
  });
});
