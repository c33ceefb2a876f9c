/** The webhook endpoints admin API: the contract, its validation, and the shared authorisation suite. */
import { describe, expect, it } from "vitest";
import { api } from "../support/api";
import { authorisationSuite } from "../support/auth-suite";
import { createTenant, tableCounts } from "../support/tenants";
import { createEndpoint, createReceiver } from "../support/webhook-receiver";

const url = () => createReceiver().url;

describe("POST /v1/webhook-endpoints", () => {
  it("registers an endpoint and answers its whsec_ secret once more on an Idempotency-Key replay", async () => {
    const tenant = await createTenant();
    const key = crypto.randomUUID();
    const body = {
      url: url(),
      description: "Orders to the warehouse",
      event_types: ["order.paid", "order.refunded"],
    };
    const first = await api("POST", "/v1/webhook-endpoints", {
      key: tenant.key,
      body,
      headers: { "idempotency-key": key },
    });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      object: "webhook_endpoint",
      url: body.url,
      description: body.description,
      event_types: body.event_types,
      status: "enabled",
      disabled_reason: null,
    });
    expect(first.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const replay = await api("POST", "/v1/webhook-endpoints", {
      key: tenant.key,
      body,
      headers: { "idempotency-key": key },
    });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body).toEqual(first.body);
    const listed = await api("GET", "/v1/webhook-endpoints", { key: tenant.key });
    expect(listed.body.data).toHaveLength(1);
    expect(listed.body.data[0]).not.toHaveProperty("secret");
  });

  it.each([
    ["no url", {}],
    ["a url that is no URL", { url: "not a url" }],
    ["plain http to another host", { url: "http://example.com/hook" }],
    ["an unknown event type", { url: "https://example.com/hook", event_types: ["order.exploded"] }],
    ["an empty list of types", { url: "https://example.com/hook", event_types: [] }],
    ["a repeated type", { url: "https://example.com/hook", event_types: ["order.paid", "order.paid"] }],
    ["an unknown field", { url: "https://example.com/hook", secret: "whsec_mine" }],
    ["an over-long description", { url: "https://example.com/hook", description: "x".repeat(501) }],
  ])("refuses %s with 422 and writes nothing", async (_, body) => {
    const tenant = await createTenant();
    const before = await tableCounts();
    const res = await api("POST", "/v1/webhook-endpoints", { key: tenant.key, body });
    expect(res.status).toBe(422);
    expect(res.body.errors.length).toBeGreaterThan(0);
    expect(await tableCounts()).toEqual(before);
  });
});

describe("PATCH /v1/webhook-endpoints/{id}", () => {
  it("changes the url, description and types, and audits the change", async () => {
    const tenant = await createTenant();
    const endpoint = await createEndpoint(tenant, { url: url() });
    const next = url();
    const res = await api("PATCH", `/v1/webhook-endpoints/${endpoint.id}`, {
      key: tenant.key,
      body: { url: next, description: null, event_types: ["drop.sold_out"] },
    });
    expect(res.body).toMatchObject({ url: next, description: null, event_types: ["drop.sold_out"] });
    const audit = await api(
      "GET",
      `/v1/audit-events?subject_type=webhook_endpoint&subject_id=${endpoint.id}`,
      { key: tenant.key },
    );
    expect(audit.body.data.map((a: { action: string }) => a.action)).toEqual([
      "webhook_endpoint.updated",
      "webhook_endpoint.created",
    ]);
  });

  it.each([
    ["an unknown status", { status: "paused" }],
    ["a private host", { url: "http://192.168.1.1/hook" }],
    ["an unknown field", { secret: "whsec_x" }],
  ])("refuses %s with 422", async (_, body) => {
    const tenant = await createTenant();
    const endpoint = await createEndpoint(tenant, { url: url() });
    expect(
      (await api("PATCH", `/v1/webhook-endpoints/${endpoint.id}`, { key: tenant.key, body })).status,
    ).toBe(422);
  });
});

describe("rotating and reading the secret", () => {
  it("rotates to a new secret the secret route then answers, keeping the old one until a day later", async () => {
    const tenant = await createTenant();
    const endpoint = await createEndpoint(tenant, { url: url() });
    const rotated = await api("POST", `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, {
      key: tenant.key,
      body: {},
    });
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    expect(Date.parse(rotated.body.previous_secret_expires_at) - Date.now()).toBeGreaterThan(23 * 3_600_000);
    const read = await api("GET", `/v1/webhook-endpoints/${endpoint.id}/secret`, { key: tenant.key });
    expect(read.body).toEqual({
      object: "webhook_secret",
      endpoint_id: endpoint.id,
      secret: rotated.body.secret,
    });
  });

  it("refuses a redelivery while the endpoint is disabled (409) and a test event too", async () => {
    const tenant = await createTenant();
    const endpoint = await createEndpoint(tenant, { url: url() });
    await api("PATCH", `/v1/webhook-endpoints/${endpoint.id}`, {
      key: tenant.key,
      body: { status: "disabled" },
    });
    const res = await api("POST", `/v1/webhook-endpoints/${endpoint.id}/test`, { key: tenant.key, body: {} });
    expect(res.status).toBe(409);
  });
});

describe("GET /v1/webhook-deliveries", () => {
  it("filters by status and refuses a status it does not know", async () => {
    const tenant = await createTenant();
    const endpoint = await createEndpoint(tenant, { url: url() });
    await api("POST", `/v1/webhook-endpoints/${endpoint.id}/test`, { key: tenant.key, body: {} });
    const pending = await api("GET", `/v1/webhook-deliveries?endpoint_id=${endpoint.id}&status=pending`, {
      key: tenant.key,
    });
    expect(pending.body.data).toHaveLength(1);
    const done = await api("GET", `/v1/webhook-deliveries?endpoint_id=${endpoint.id}&status=succeeded`, {
      key: tenant.key,
    });
    expect(done.body.data).toEqual([]);
    const bad = await api("GET", `/v1/webhook-deliveries?endpoint_id=${endpoint.id}&status=lost`, {
      key: tenant.key,
    });
    expect(bad.status).toBe(422);
  });
});

authorisationSuite(
  "POST /v1/webhook-endpoints",
  async () => (key) => api("POST", "/v1/webhook-endpoints", { key, body: { url: url() } }),
  "created_separately",
);
authorisationSuite(
  "GET /v1/webhook-endpoints",
  async (owner) => {
    await createEndpoint(owner, { url: url() });
    return (key) => api("GET", "/v1/webhook-endpoints", { key });
  },
  "empty_list",
);
for (const [name, method, suffix] of [
  ["GET /v1/webhook-endpoints/{id}", "GET", ""],
  ["PATCH /v1/webhook-endpoints/{id}", "PATCH", ""],
  ["GET /v1/webhook-endpoints/{id}/secret", "GET", "/secret"],
  ["POST /v1/webhook-endpoints/{id}/rotate-secret", "POST", "/rotate-secret"],
  ["POST /v1/webhook-endpoints/{id}/test", "POST", "/test"],
] as const) {
  authorisationSuite(name, async (owner) => {
    const endpoint = await createEndpoint(owner, { url: url() });
    const body = method === "GET" ? undefined : method === "PATCH" ? { description: "x" } : {};
    return (key) => api(method, `/v1/webhook-endpoints/${endpoint.id}${suffix}`, { key, body });
  });
}
authorisationSuite(
  "GET /v1/webhook-deliveries",
  async (owner) => {
    const endpoint = await createEndpoint(owner, { url: url() });
    await api("POST", `/v1/webhook-endpoints/${endpoint.id}/test`, { key: owner.key, body: {} });
    return (key) => api("GET", "/v1/webhook-deliveries", { key });
  },
  "empty_list",
);
authorisationSuite("GET /v1/webhook-deliveries?endpoint_id=", async (owner) => {
  const endpoint = await createEndpoint(owner, { url: url() });
  return (key) => api("GET", `/v1/webhook-deliveries?endpoint_id=${endpoint.id}`, { key });
});
authorisationSuite("POST /v1/webhook-deliveries/{id}/redeliver", async (owner) => {
  const endpoint = await createEndpoint(owner, { url: url() });
  const test = await api("POST", `/v1/webhook-endpoints/${endpoint.id}/test`, { key: owner.key, body: {} });
  return (key) => api("POST", `/v1/webhook-deliveries/${test.body.id}/redeliver`, { key, body: {} });
});
