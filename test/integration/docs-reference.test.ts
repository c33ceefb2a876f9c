import { describe, expect, it } from "vitest";
import { api } from "../support/api";

// The reference's 4.8 MB script is one of the worker's static assets (wrangler.toml [assets], filled by
// scripts/copy-assets.mjs), so /docs renders on a laptop without internet and on a network that blocks
// CDNs. The asset itself is served before the worker runs, so it is checked against `npm start`.
describe("GET /docs without internet", () => {
  it("loads the reference's script from this worker, not from a CDN", async () => {
    const res = await api("GET", "/docs");
    expect(res.status).toBe(200);
    const scripts = [...String(res.body).matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts).toEqual(["/docs/scalar.standalone.js"]);
  });

  it("names no other origin either: no CDN import, no web fonts", async () => {
    const res = await api("GET", "/docs");
    expect(res.body).not.toMatch(/https?:\/\//);
  });
});
