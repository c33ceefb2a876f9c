import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { PageConfig } from "../../clients/checkout-page/config";
import { formatMoney, stockText } from "../../clients/checkout-page/format";
import { readConfig } from "../../src/config";
import { escapeHtml, html, scriptJson } from "../../src/surfaces/checkout-page/html";
import { type CheckoutPageView, pageCsp, renderCheckoutPage } from "../../src/surfaces/checkout-page/page";

const config = (overrides: Partial<PageConfig> = {}): PageConfig => ({
  link_id: "lnk_test",
  offer_id: "off_test",
  drop_id: null,
  quantity: 1,
  currency: null,
  coupon: null,
  source: "link",
  attribution: null,
  success_url: null,
  buyer_id: "3b1f0c9e-6c2a-4d4e-9a57-2f0c1e5d7b10",
  parent: null,
  stripe_key: null,
  stock: null,
  ...overrides,
});

const view = (overrides: Partial<CheckoutPageView> = {}): CheckoutPageView => ({
  nonce: "n0nce",
  eyebrow: null,
  title: "Poster",
  description: null,
  price: { currency: "USD", lines: [{ type: "base", amount: 2000 }], total: 2000 },
  stock: null,
  config: config(),
  ...overrides,
});

// The Stripe branch cannot run offline (Stripe.js comes from js.stripe.com): its HTML and CSP are checked here.
describe("the checkout page with Stripe configured", () => {
  const page = renderCheckoutPage(view({ config: config({ stripe_key: "pk_test_abc123" }) }));
  const csp = pageCsp("n0nce", { parent: null, stripe: true });

  it("mounts the Payment Element in place of the sandbox's card form", () => {
    expect(page).toContain('<div id="payment-element"></div>');
    expect(page).not.toContain('id="card-number"');
    expect(page).not.toContain('id="authenticate"');
    expect(page).toContain('id="pay"');
  });

  it("loads Stripe.js from js.stripe.com under the page's nonce, and the CSP allows exactly Stripe", () => {
    expect(page).toContain('<script src="https://js.stripe.com/v3" nonce="n0nce"></script>');
    expect(csp).toContain("script-src 'nonce-n0nce' https://js.stripe.com");
    expect(csp).toContain("frame-src https://js.stripe.com https://hooks.stripe.com");
    expect(csp).toContain("connect-src 'self' https://api.stripe.com");
    expect(csp).not.toContain("unsafe");
  });

  it("hands the script the publishable key only", () => {
    expect(page).toContain('"stripe_key":"pk_test_abc123"');
    expect(page).not.toMatch(/sk_(test|live)_/);
  });
});

describe("the checkout page in the sandbox", () => {
  it("makes no third-party request: no external src or href, and a CSP of 'self' and its nonce only", () => {
    const page = renderCheckoutPage(view({ stock: { available: 3, stock: 5, phase: "live" } }));
    expect(page).not.toMatch(/(src|href)="https?:/);
    const csp = pageCsp("n0nce", { parent: null, stripe: false });
    expect(csp).not.toMatch(/https?:/);
    expect(csp).toMatch(/frame-ancestors 'self'$/);
    expect(page).toContain("3 of 5 left");
  });

  it("names an allowed embedding origin in frame-ancestors", () => {
    expect(pageCsp("n", { parent: "https://shop.example", stripe: false })).toMatch(
      /frame-ancestors 'self' https:\/\/shop\.example$/,
    );
  });
});

describe("escaping", () => {
  it("escapes every interpolation, and nests markup built by the tag", () => {
    const evil = `<script>alert("x")</script>&'`;
    expect(html`<p>${evil}</p>`.value).toBe(`<p>${escapeHtml(evil)}</p>`);
    expect(html`<a title="${evil}">${html`<b>${evil}</b>`}</a>`.value).not.toContain("<script>");
    expect(html`<ul>${[1, 2].map((n) => html`<li>${n}</li>`)}</ul>`.value).toBe(
      "<ul><li>1</li><li>2</li></ul>",
    );
  });

  it("writes config JSON that cannot close its script element", () => {
    const out = scriptJson({ t: "</script><!--\u2028" }).value;
    expect(out).not.toMatch(/[<>\u2028]/);
    expect(JSON.parse(out)).toEqual({ t: "</script><!--\u2028" });
  });
});

describe("formatting", () => {
  it("writes minor units as the currency does", () => {
    expect(formatMoney(2000, "USD")).toBe("$20.00");
    expect(formatMoney(2000, "JPY")).toBe("¥2,000");
    expect(formatMoney(-250, "EUR")).toBe("-€2.50");
  });

  it("says sold out, ended and upcoming plainly", () => {
    expect(stockText({ available: 0, stock: 5, phase: "live" })).toBe("Sold out");
    expect(stockText({ available: 5, stock: 5, phase: "closed" })).toBe("This drop has ended.");
    expect(stockText({ available: 5, stock: 5, phase: "upcoming" })).toMatch(/^Not on sale yet/);
  });
});

describe("STRIPE_PUBLISHABLE_KEY", () => {
  it("accepts pk_test_/pk_live_ keys and names a malformed one", () => {
    expect(readConfig({ ...env, STRIPE_PUBLISHABLE_KEY: "pk_live_abc" } as Env).STRIPE_PUBLISHABLE_KEY).toBe(
      "pk_live_abc",
    );
    expect(() => readConfig({ ...env, STRIPE_PUBLISHABLE_KEY: "sk_live_abc" } as Env)).toThrow(
      /STRIPE_PUBLISHABLE_KEY/,
    );
  });
});
