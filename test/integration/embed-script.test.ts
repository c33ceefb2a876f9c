import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { EMBED_CACHE_CONTROL } from "../../src/routes/pages/embed";
import embedScript from "../../src/surfaces/generated/embed";
import { api } from "../support/api";

/** The widget's budget, as scripts/build-clients.mjs checks it at build time. */
const BUDGET_GZIP_BYTES = 5 * 1024;

async function gzipSize(text: string): Promise<number> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

describe("GET /embed.js", () => {
  it("serves the widget as JavaScript any page may load", async () => {
    const res = await api("GET", "/embed.js");
    expect(res.status).toBe(200);
    expect(res.body).toBe(embedScript);
    expect(Object.fromEntries(res.headers)).toMatchObject({
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": EMBED_CACHE_CONTROL,
      "cross-origin-resource-policy": "cross-origin",
      "access-control-allow-origin": "*",
      "x-content-type-options": "nosniff",
      etag: expect.stringMatching(/^"[0-9a-f]{32}"$/),
    });
  });

  it("answers a revalidation with its ETag by 304 and no body", async () => {
    const etag = (await api("GET", "/embed.js")).headers.get("etag") ?? "";
    for (const sent of [etag, `W/${etag}`, `"stale", ${etag}`]) {
      const res = await exports.default.fetch("http://api.test/embed.js", {
        headers: { "if-none-match": sent },
      });
      expect(res.status).toBe(304);
      expect(await res.text()).toBe("");
      expect(res.headers.get("etag")).toBe(etag);
    }
    const changed = await api("GET", "/embed.js", { headers: { "if-none-match": '"an-older-build"' } });
    expect(changed.status).toBe(200);
  });

  it("stays under its 5 KB gzip budget", async () => {
    const size = await gzipSize(embedScript);
    expect(size).toBeGreaterThan(500); // the real widget, not an empty stub
    expect(size).toBeLessThan(BUDGET_GZIP_BYTES);
  });

  it("speaks the postMessage contract's protocol and opens the hosted page in embed mode", () => {
    expect(embedScript).toContain("cc-checkout/1");
    expect(embedScript).toContain("?embed=1&parent=");
    expect(embedScript).toContain('allow:"payment"');
  });
});
