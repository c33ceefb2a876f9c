import { describe, expect, it } from "vitest";
import {
  acceptMessage,
  baseFromScriptSrc,
  checkoutUrl,
  EMBED_PROTOCOL,
  linkIdOf,
  safeRedirect,
} from "../../clients/widget/protocol";

const base = "https://pay.example.com";
const frame = { name: "the widget's iframe window" };
const expected = { origin: base, source: frame, linkId: "lnk_abc123" };
const success = {
  protocol: EMBED_PROTOCOL,
  type: "success",
  link_id: "lnk_abc123",
  checkout_id: "chk_1",
  order_id: "ord_1",
  token: "eyJ.x.y",
  expires_at: "2026-12-01T18:00:00Z",
  redirect_url: "https://creator.example/thanks",
};

describe("the widget's base URL, from its own script src", () => {
  it.each([
    ["https://pay.example.com/embed.js", "https://pay.example.com"],
    ["https://pay.example.com/embed.js?v=2#x", "https://pay.example.com"],
    ["https://example.com/commerce/embed.js", "https://example.com/commerce"],
    ["http://localhost:8787/embed.js", "http://localhost:8787"],
  ])("%s → %s", (src, want) => expect(baseFromScriptSrc(src)).toBe(want));

  it.each(["javascript:alert(1)//embed.js", "data:text/javascript,1", "not a url"])(
    "refuses %s, so the widget stays inert rather than framing something else",
    (src) => expect(baseFromScriptSrc(src)).toBeNull(),
  );
});

describe("the URL the overlay iframe opens", () => {
  it("is the hosted page in embed mode, naming the embedding origin", () => {
    const url = new URL(checkoutUrl(base, "lnk_abc123", "https://shop.example"));
    expect(url.origin + url.pathname).toBe("https://pay.example.com/l/lnk_abc123");
    expect(url.searchParams.get("embed")).toBe("1");
    expect(url.searchParams.get("parent")).toBe("https://shop.example");
  });

  it("keeps a base path", () => {
    expect(checkoutUrl("https://example.com/commerce", "lnk_a", "http://localhost:3000")).toBe(
      "https://example.com/commerce/l/lnk_a?embed=1&parent=http%3A%2F%2Flocalhost%3A3000",
    );
  });
});

describe("which anchors the widget enhances", () => {
  it.each([
    ["an href to our hosted page", null, `${base}/l/lnk_abc123`, "lnk_abc123"],
    ["an href with a trailing slash and a query", null, `${base}/l/lnk_abc123/?utm=x`, "lnk_abc123"],
    ["the id in the attribute", "lnk_fromattr", "https://elsewhere.example/page", "lnk_fromattr"],
    ["a relative href resolved against the base", "", "/l/lnk_rel", "lnk_rel"],
  ])("enhances %s", (_, attribute, href, id) => expect(linkIdOf(attribute, href, base)).toBe(id));

  it.each([
    ["another origin's /l/ page (it would be framed as ours)", `https://evil.example/l/lnk_abc123`],
    ["a path that is not a link page", `${base}/v1/links/lnk_abc123`],
    ["an id that is not a link id", `${base}/l/<script>`],
    ["a deeper path", `${base}/l/lnk_abc123/extra`],
  ])("leaves %s alone, as a plain link", (_, href) => expect(linkIdOf("", href, base)).toBeNull());
});

describe("which postMessages the widget believes", () => {
  it("accepts a well-formed message from its own iframe on the worker's origin", () => {
    expect(acceptMessage({ origin: base, source: frame, data: success }, expected)).toEqual(success);
  });

  const refused: [string, { origin?: string; source?: unknown; data?: unknown }][] = [
    ["another origin posting a forged success", { origin: "https://evil.example" }],
    ["another window on the worker's origin (a second tab, another iframe)", { source: { other: true } }],
    ["a message with no source", { source: null }],
    ["another protocol version", { data: { ...success, protocol: "cc-checkout/0" } }],
    ["a message about another link", { data: { ...success, link_id: "lnk_other" } }],
    ["an unknown type", { data: { ...success, type: "navigate" } }],
    ["a success without a token", { data: { ...success, token: undefined } }],
    ["a success whose redirect is not a string", { data: { ...success, redirect_url: 5 } }],
    ["a hold_created without its checkout", { data: { ...success, type: "hold_created", checkout_id: 1 } }],
    ["a string payload", { data: JSON.stringify(success) }],
    ["null", { data: null }],
  ];
  it.each(refused)("ignores %s", (_, change) => {
    const event = { origin: base, source: frame, data: success, ...change };
    expect(acceptMessage(event, expected)).toBeNull();
  });

  it.each(["loaded", "close"])("accepts a bare %s", (type) => {
    const data = { protocol: EMBED_PROTOCOL, type, link_id: "lnk_abc123" };
    expect(acceptMessage({ origin: base, source: frame, data }, expected)).toEqual(data);
  });
});

describe("where a success may send the top window", () => {
  it.each([
    ["https://creator.example/thanks?o=1", "https://creator.example/thanks?o=1"],
    ["http://localhost:3000/done", "http://localhost:3000/done"],
    [null, null],
    ["javascript:alert(document.cookie)", null],
    ["data:text/html,<script>1</script>", null],
    ["//no-scheme.example", null],
  ])("%s → %s", (url, want) => expect(safeRedirect(url)).toBe(want));
});
