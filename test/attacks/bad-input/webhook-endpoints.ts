/** Bad input to the webhook endpoints API: one problem+json 4xx, never a 5xx, nothing written. */
import { describe, expect, it } from "vitest";
import { api } from "../../support/api";
import { createTenant, tableCounts } from "../../support/tenants";
import { createEndpoint, createReceiver } from "../../support/webhook-receiver";

const long = "x".repeat(3000);

describe("bad input: webhook endpoints", () => {
  it.each([
    ["a URL aimed at the cloud metadata service", { url: "https://169.254.169.254/latest/meta-data" }],
    ["a javascript: URL", { url: "javascript:alert(1)" }],
    ["a file: URL", { url: "file:///etc/passwd" }],
    ["an over-long URL", { url: `https://example.com/${long}` }],
    ["a URL with credentials", { url: "https://admin:pw@example.com/hook" }],
    ["event types that are not a list", { url: "https://example.com/hook", event_types: "order.paid" }],
    ["a secret chosen by the caller", { url: "https://example.com/hook", secret: "whsec_AAAA" }],
    ["a status at creation", { url: "https://example.com/hook", status: "disabled" }],
  ])("creating with %s answers 422 and writes nothing", async (_, body) => {
    const tenant = await createTenant();
    const before = await tableCounts();
    const res = await api("POST", "/v1/webhook-endpoints", { key: tenant.key, body });
    expect(res.status).toBe(422);
    expect(await tableCounts()).toEqual(before);
  });

  it.each([
    ["a made-up endpoint", "GET", "/v1/webhook-endpoints/we_made_up", undefined, 404],
    ["an over-long endpoint id", "GET", `/v1/webhook-endpoints/we_${long}`, undefined, 404],
    ["a made-up delivery", "POST", "/v1/webhook-deliveries/whd_made_up/redeliver", {}, 404],
    [
      "a redelivery with a body field",
      "POST",
      "/v1/webhook-deliveries/whd_made_up/redeliver",
      { now: true },
      422,
    ],
    [
      "a rotation with a body field",
      "POST",
      "/v1/webhook-endpoints/we_made_up/rotate-secret",
      { secret: "x" },
      422,
    ],
    ["a deliveries page of 0", "GET", "/v1/webhook-deliveries?limit=0", undefined, 422],
    [
      "deliveries of a made-up endpoint",
      "GET",
      "/v1/webhook-deliveries?endpoint_id=we_made_up",
      undefined,
      404,
    ],
    [
      "a deliveries cursor it never issued",
      "GET",
      "/v1/webhook-deliveries?endpoint_id=ENDPOINT&cursor=abc",
      undefined,
      422,
    ],
  ])("%s answers %s… with a 4xx and writes nothing", async (_, method, path, body, status) => {
    const tenant = await createTenant();
    const endpoint = await createEndpoint(tenant, { url: createReceiver().url });
    const before = await tableCounts();
    const res = await api(method, path.replace("ENDPOINT", endpoint.id), { key: tenant.key, body });
    expect(res.status).toBe(status);
    expect(await tableCounts()).toEqual(before);
  });
});
