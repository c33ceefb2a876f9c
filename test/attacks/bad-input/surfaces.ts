import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api } from "../../support/api";
import { createDrop } from "../../support/fixtures";
import { createTenant, tableCounts } from "../../support/tenants";

/** A page or stream request as a browser or a scanner sends it, outside the contract-checking helper. */
const raw = (path: string, headers: Record<string, string> = {}) =>
  exports.default.fetch(new Request(`http://api.test${path}`, { headers }));

const long = "x".repeat(4000);

describe("bad input: the buyer surfaces", () => {
  it.each([
    ["an over-long link id", `/l/lnk_${long}`],
    ["a link id with a NUL", "/l/lnk_%00abc"],
    ["a link id of another kind", "/l/drp_demo_live"],
    ["an embed with a parent that is no origin", "/l/lnk_nothing?embed=1&parent=javascript:alert(1)"],
    ["an overlay without a token", "/overlay/drp_nothing"],
    ["an overlay with an over-long token", `/overlay/drp_nothing?token=ovl_${long}`],
    ["an overlay for an over-long drop id", `/overlay/drp_${long}?token=ovl_x`],
  ])("answers %s with a 4xx, never a 5xx, and writes nothing", async (_, path) => {
    const before = await tableCounts();
    const res = await raw(path, { accept: "text/html" });
    await res.body?.cancel();
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(await tableCounts()).toEqual(before);
  });

  it.each([
    ["a made-up drop", "/v1/drops/drp_made_up/stream", { upgrade: "websocket" }],
    ["an over-long drop id", `/v1/drops/drp_${long}/stream`, { upgrade: "websocket" }],
    ["neither a WebSocket nor an event stream", "/v1/drops/DROP/stream", {}],
    ["a resume point that is no number", "/v1/drops/DROP/stream?after=abc", { accept: "text/event-stream" }],
    [
      "a Last-Event-ID that is no number",
      "/v1/drops/DROP/stream",
      { accept: "text/event-stream", "last-event-id": "x1" },
    ],
  ])("answers a stream request with %s with problem+json 4xx", async (_, path, headers) => {
    const drop = await createDrop(await createTenant(), { stock: 1 });
    const res = await raw(path.replace("DROP", drop.id), headers as Record<string, string>);
    const text = await res.text();
    expect(res.status, text).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });

  it("refuses an allow-list of more than 50 origins with 422", async () => {
    const tenant = await createTenant();
    const origins = Array.from({ length: 51 }, (_, i) => `https://shop${i}.example.com`);
    const res = await api("PUT", "/v1/allowed-origins", { key: tenant.key, body: { origins } });
    expect(res.status).toBe(422);
  });
});
