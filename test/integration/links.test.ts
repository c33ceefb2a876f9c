import { exports } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { PageConfig } from "../../clients/checkout-page/config";
import { auditEvents, checkoutLinks, creatorOrigins } from "../../src/db/schema";
import { forgetOrigins } from "../../src/http/origins";
import { api, type Json } from "../support/api";
import { authorisationSuite } from "../support/auth-suite";
import { confirm } from "../support/checkouts";
import { createDrop, createOffer, oneTimeOffer } from "../support/fixtures";
import { createTenant, db, type Tenant, tableCounts } from "../support/tenants";

async function createLink(tenant: Tenant, body: Record<string, unknown>): Promise<Json> {
  const res = await api("POST", "/v1/links", { key: tenant.key, body });
  if (res.status !== 201) throw new Error(`link fixture refused: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** The page as a browser asks for it (not through `api`: it answers HTML, not problem+json). */
async function openPage(path: string, headers: Record<string, string> = {}) {
  const res = await exports.default.fetch(
    new Request(`http://api.test${path}`, { headers: { accept: "text/html", ...headers } }),
  );
  return { status: res.status, headers: res.headers, html: await res.text() };
}

const configOf = (html: string): PageConfig => {
  const json = /<script type="application\/json" id="cc-config">([^<]*)<\/script>/.exec(html)?.[1];
  if (json === undefined) throw new Error("the page carries no config");
  return JSON.parse(json) as PageConfig;
};

async function gzipSize(text: string): Promise<number> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

async function allowOrigin(tenant: Tenant, origin: string) {
  await db.insert(creatorOrigins).values({ creatorId: tenant.creatorId, origin, createdAt: Date.now() });
  forgetOrigins(tenant.creatorId);
}

describe("POST /v1/links", () => {
  it("creates a link for an offer with its terms, its page URL and an audit row", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const coupon = await api("POST", "/v1/coupons", {
      key: tenant.key,
      body: { code: "link10", percent_off: 10 },
    });
    const res = await api("POST", "/v1/links", {
      key: tenant.key,
      body: {
        offer_id: offer.id,
        title: "Stream special",
        quantity: 2,
        currency: "USD",
        coupon: "link10",
        attribution: { campaign: "spring", stream: "ep12" },
        success_url: "https://creator.example/thanks",
      },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      object: "checkout_link",
      offer_id: offer.id,
      drop_id: null,
      title: "Stream special",
      quantity: 2,
      currency: "USD",
      coupon: coupon.body.code,
      source: "link",
      attribution: { campaign: "spring", stream: "ep12" },
      success_url: "https://creator.example/thanks",
      status: "active",
      archived_at: null,
    });
    expect(res.body.id).toMatch(/^lnk_/);
    expect(res.body.url).toBe(`http://api.test/l/${res.body.id}`);
    const audit = await db.select().from(auditEvents).where(eq(auditEvents.subjectId, res.body.id));
    expect(audit.map((a) => a.action)).toEqual(["checkout_link.created"]);
    expect((await api("GET", `/v1/links/${res.body.id}`, { key: tenant.key })).body).toEqual(res.body);
  });

  it("replays a create with the same Idempotency-Key instead of making a second link", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const key = `lnk-${crypto.randomUUID()}`;
    const send = () =>
      api("POST", "/v1/links", {
        key: tenant.key,
        body: { offer_id: offer.id },
        headers: { "idempotency-key": key },
      });
    const first = await send();
    const again = await send();
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    const rows = await db.select().from(checkoutLinks).where(eq(checkoutLinks.creatorId, tenant.creatorId));
    expect(rows).toHaveLength(1);
    // The same key with another body is refused, not replayed.
    const other = await api("POST", "/v1/links", {
      key: tenant.key,
      body: { offer_id: offer.id, quantity: 3 },
      headers: { "idempotency-key": key },
    });
    expect(other.status).toBe(422);
  });

  it("links a drop, and refuses a drop offer linked without its drop as a quote would (422)", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 10 });
    const withDrop = await createLink(tenant, { offer_id: drop.offer_id, drop_id: drop.id });
    expect(withDrop.drop_id).toBe(drop.id);
    const without = await api("POST", "/v1/links", { key: tenant.key, body: { offer_id: drop.offer_id } });
    expect(without.status).toBe(422);
    expect(without.body.errors[0].path).toBe("/drop_id");
  });

  it("refuses a drop of another of the creator's offers (422, nothing written)", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant);
    const other = await createOffer(tenant);
    const before = await tableCounts();
    const res = await api("POST", "/v1/links", {
      key: tenant.key,
      body: { offer_id: other.id, drop_id: drop.id },
    });
    expect(res.status).toBe(422);
    expect(res.body.errors[0].path).toBe("/drop_id");
    expect(await tableCounts()).toEqual(before);
  });

  it("answers 404 for another creator's offer or drop, writing nothing", async () => {
    const owner = await createTenant();
    const stranger = await createTenant("Stranger");
    const drop = await createDrop(owner);
    const strangersOffer = await createOffer(stranger);
    const before = await tableCounts();
    const theirOffer = await api("POST", "/v1/links", {
      key: stranger.key,
      body: { offer_id: drop.offer_id },
    });
    const theirDrop = await api("POST", "/v1/links", {
      key: stranger.key,
      body: { offer_id: strangersOffer.id, drop_id: drop.id },
    });
    expect(theirOffer.status).toBe(404);
    expect(theirDrop.status).toBe(404);
    expect(await tableCounts()).toEqual(before);
  });

  it.each([
    ["an unknown field", { surprise: true }, "/surprise"],
    ["quantity 0", { quantity: 0 }, "/quantity"],
    ["quantity 101", { quantity: 101 }, "/quantity"],
    ["a bad source", { source: "tv" }, "/source"],
    ["an attribution key with capitals", { attribution: { Campaign: "x" } }, "/attribution"],
    ["a success_url on plain http", { success_url: "http://creator.example/thanks" }, "/success_url"],
    ["a success_url that is not a URL", { success_url: "thanks" }, "/success_url"],
    ["an unknown coupon", { coupon: "NOPE" }, "/coupon"],
    ["a currency the offer is not priced in", { currency: "EUR" }, "/currency"],
    ["a lower-case currency", { currency: "usd" }, "/currency"],
  ])("refuses %s (422, nothing written)", async (_name, extra, path) => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const before = await tableCounts();
    const res = await api("POST", "/v1/links", { key: tenant.key, body: { offer_id: offer.id, ...extra } });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { path: string }) => e.path.slice(0, path.length))).toContain(path);
    expect(await tableCounts()).toEqual(before);
  });

  it("accepts http success URLs on localhost outside production", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const link = await createLink(tenant, { offer_id: offer.id, success_url: "http://localhost:5173/done" });
    expect(link.success_url).toBe("http://localhost:5173/done");
  });
});

authorisationSuite("POST /v1/links", async (owner) => {
  const offer = await createOffer(owner);
  return (key) => api("POST", "/v1/links", { key, body: { offer_id: offer.id } });
});

authorisationSuite("GET /v1/links/{id}", async (owner) => {
  const link = await createLink(owner, { offer_id: (await createOffer(owner)).id });
  return (key) => api("GET", `/v1/links/${link.id}`, { key });
});

authorisationSuite(
  "GET /v1/links",
  async (owner) => {
    await createLink(owner, { offer_id: (await createOffer(owner)).id });
    return (key) => api("GET", "/v1/links", { key });
  },
  "empty_list",
);

authorisationSuite("POST /v1/links/{id}/archive", async (owner) => {
  const link = await createLink(owner, { offer_id: (await createOffer(owner)).id });
  return (key) => api("POST", `/v1/links/${link.id}/archive`, { key });
});

describe("GET /v1/links", () => {
  it("pages newest first with a cursor and filters by status", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await createLink(tenant, { offer_id: offer.id, title: `L${i}` }));
    await api("POST", `/v1/links/${made[0].id}/archive`, { key: tenant.key });
    const first = await api("GET", "/v1/links?limit=2", { key: tenant.key });
    expect(first.body).toMatchObject({ object: "list", has_more: true });
    const second = await api("GET", `/v1/links?limit=2&cursor=${first.body.next_cursor}`, {
      key: tenant.key,
    });
    const ids = [...first.body.data, ...second.body.data].map((l: Json) => l.id);
    expect(new Set(ids)).toEqual(new Set(made.map((l) => l.id)));
    expect(second.body.has_more).toBe(false);
    const archived = await api("GET", "/v1/links?status=archived", { key: tenant.key });
    expect(archived.body.data.map((l: Json) => l.id)).toEqual([made[0].id]);
    expect((await api("GET", "/v1/links?status=gone", { key: tenant.key })).status).toBe(422);
  });
});

describe("POST /v1/links/{id}/archive", () => {
  it("archives once (one audit row); archiving again answers the same and writes nothing", async () => {
    const tenant = await createTenant();
    const link = await createLink(tenant, { offer_id: (await createOffer(tenant)).id });
    const first = await api("POST", `/v1/links/${link.id}/archive`, { key: tenant.key });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: "archived", id: link.id });
    expect(first.body.archived_at).not.toBeNull();
    const before = await tableCounts();
    const again = await api("POST", `/v1/links/${link.id}/archive`, { key: tenant.key, body: {} });
    expect(again.body).toEqual(first.body);
    expect(await tableCounts()).toEqual(before);
    const audit = await db.select().from(auditEvents).where(eq(auditEvents.subjectId, link.id));
    expect(audit.map((a) => a.action).sort()).toEqual(["checkout_link.archived", "checkout_link.created"]);
  });

  it("refuses a body with fields (422)", async () => {
    const tenant = await createTenant();
    const link = await createLink(tenant, { offer_id: (await createOffer(tenant)).id });
    const res = await api("POST", `/v1/links/${link.id}/archive`, { key: tenant.key, body: { now: true } });
    expect(res.status).toBe(422);
  });
});

describe("GET /l/{id}: the hosted checkout page", () => {
  it("renders the offer, its price for the buyer's country and the form, under a strict CSP", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(
      tenant,
      oneTimeOffer({
        title: "Signed poster",
        prices: [
          { currency: "USD", amount: 2000 },
          { currency: "EUR", amount: 1800 },
        ],
      }),
    );
    const link = await createLink(tenant, { offer_id: offer.id, title: "Tonight only" });
    const page = await openPage(`/l/${link.id}`, { "buyer-country": "DE" });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.html).toContain('<h1 id="title">Signed poster</h1>');
    expect(page.html).toContain("Tonight only");
    expect(page.html).toContain("€18.00");
    for (const id of ["email", "continue", "card-number", "card-expiry", "card-cvc", "pay", "error"]) {
      expect(page.html, id).toContain(`id="${id}"`);
    }
    for (const id of ["email", "card-number", "card-expiry", "card-cvc"]) {
      expect(page.html, `${id} is labelled`).toContain(`<label for="${id}">`);
    }
    const csp = page.headers.get("content-security-policy") ?? "";
    const nonce = /'nonce-([A-Za-z0-9]+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https:/);
    // Every script and style carries the nonce; no inline handlers; nothing from another origin.
    for (const tag of page.html.match(/<(script|style)\b[^>]*>/g) ?? []) {
      if (!tag.includes('type="application/json"')) expect(tag).toContain(`nonce="${nonce}"`);
    }
    expect(page.html).not.toMatch(/\son[a-z]+=/i);
    expect(page.html).not.toMatch(/(src|href)="https?:\/\//);
    expect(page.html).not.toContain('id="payment-element"');
    expect(page.headers.get("set-cookie")).toBeNull();
  });

  it("renders a drop's title and live stock figures", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 7, title: "Midnight drop" });
    const link = await createLink(tenant, { offer_id: drop.offer_id, drop_id: drop.id });
    const page = await openPage(`/l/${link.id}`);
    expect(page.html).toContain("Midnight drop");
    expect(page.html).toMatch(/<p id="stock" role="status" aria-live="polite">.*7 of 7 left/);
    expect(configOf(page.html)).toMatchObject({
      drop_id: drop.id,
      stock: expect.stringMatching(/^(poll|stream)$/),
    });
  });

  it("renders a creator's script-bearing title as inert text", async () => {
    const tenant = await createTenant();
    const attack = `<img src=x onerror="alert(1)"><script>alert(2)</script>"'&`;
    const offer = await createOffer(
      tenant,
      oneTimeOffer({ title: attack, description: `</script>${attack}` }),
    );
    const link = await createLink(tenant, {
      offer_id: offer.id,
      title: attack,
      attribution: { x: "</script><b>" },
    });
    const page = await openPage(`/l/${link.id}`);
    expect(page.status).toBe(200);
    expect(page.html).not.toContain("<img src=x");
    expect(page.html).not.toContain("<script>alert");
    expect(page.html).not.toContain("</script><b>");
    expect(page.html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&lt;script&gt;");
    // The config block still carries the exact strings for the script.
    expect(configOf(page.html).attribution).toEqual({ x: "</script><b>" });
    // Exactly the page's own two script elements.
    expect(page.html.match(/<script\b/g)).toHaveLength(2);
  });

  it("serves the page's HTML, CSS and JS in under 30 KB gzipped", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 3 });
    const link = await createLink(tenant, { offer_id: drop.offer_id, drop_id: drop.id, title: "Budget" });
    const page = await openPage(`/l/${link.id}`);
    let total = await gzipSize(page.html);
    // Any same-origin asset the page references counts too (today everything is inline).
    const assets = [...page.html.matchAll(/<(?:script|link)\b[^>]*(?:src|href)="(\/[^"]*)"/g)].map(
      (m) => m[1],
    );
    for (const asset of assets)
      total += await gzipSize(await (await exports.default.fetch(`http://api.test${asset}`)).text());
    expect(total).toBeLessThan(30 * 1024);
  });

  it("answers an unknown link with a 404 page, or problem+json to a client asking for JSON", async () => {
    const page = await openPage("/l/lnk_nosuchlink");
    expect(page.status).toBe(404);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.html).toContain("This checkout link doesn&#39;t exist");
    const json = await api("GET", "/l/lnk_nosuchlink", { headers: { accept: "application/json" } });
    expect(json.status).toBe(404);
    expect(json.body.type).toBe("https://creator-commerce.dev/problems/not-found");
  });

  it("answers an archived link's page with 410", async () => {
    const tenant = await createTenant();
    const link = await createLink(tenant, { offer_id: (await createOffer(tenant)).id });
    await api("POST", `/v1/links/${link.id}/archive`, { key: tenant.key });
    const page = await openPage(`/l/${link.id}`);
    expect(page.status).toBe(410);
    expect(page.html).toContain("This checkout has ended");
    expect(page.html).not.toContain('id="cc-config"');
    const json = await api("GET", `/l/${link.id}`, { headers: { accept: "application/json" } });
    expect(json.status).toBe(410);
    expect(json.body.type).toBe("https://creator-commerce.dev/problems/link-archived");
  });

  it("refuses to render for embedding on an origin the creator has not allowed (403, no script)", async () => {
    const tenant = await createTenant();
    const stranger = await createTenant("Stranger");
    await allowOrigin(stranger, "https://stranger.example");
    const link = await createLink(tenant, { offer_id: (await createOffer(tenant)).id });
    for (const parent of ["https://evil.example", "https://stranger.example", "", "null"]) {
      const page = await openPage(`/l/${link.id}?embed=1&parent=${encodeURIComponent(parent)}`);
      expect(page.status, parent).toBe(403);
      // The refusal sells nothing, so it may show in the stranger's frame: the buyer reads why.
      expect(page.headers.get("content-security-policy")).toMatch(/frame-ancestors \*$/);
      expect(page.html).not.toContain("<script");
      expect(page.html).not.toContain('id="pay"');
    }
    const json = await api("GET", `/l/${link.id}?embed=1&parent=https%3A%2F%2Fevil.example`, {
      headers: { accept: "application/json" },
    });
    expect(json.status).toBe(403);
    expect(json.body.type).toBe("https://creator-commerce.dev/problems/origin-not-allowed");
  });

  it("renders for embedding on an allowed origin, naming it in frame-ancestors and the script's config", async () => {
    const tenant = await createTenant();
    await allowOrigin(tenant, "https://shop.example");
    const link = await createLink(tenant, { offer_id: (await createOffer(tenant)).id });
    const page = await openPage(`/l/${link.id}?embed=1&parent=${encodeURIComponent("https://shop.example")}`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toMatch(
      /frame-ancestors 'self' https:\/\/shop\.example$/,
    );
    expect(configOf(page.html).parent).toBe("https://shop.example");
    expect(page.html).toContain('id="close"');
    const plain = await openPage(`/l/${link.id}`);
    expect(configOf(plain.html).parent).toBeNull();
    expect(plain.html).not.toContain('id="close"');
  });

  it("shows the success link only when not embedded", async () => {
    const tenant = await createTenant();
    await allowOrigin(tenant, "https://shop.example");
    const link = await createLink(tenant, {
      offer_id: (await createOffer(tenant)).id,
      success_url: "https://creator.example/thanks?a=1&b=2",
    });
    const plain = await openPage(`/l/${link.id}`);
    expect(plain.html).toContain(
      'id="success-link" class="button" href="https://creator.example/thanks?a=1&amp;b=2"',
    );
    const embedded = await openPage(`/l/${link.id}?embed=1&parent=https%3A%2F%2Fshop.example`);
    expect(embedded.html).not.toContain('id="success-link"');
    expect(configOf(embedded.html).success_url).toBe("https://creator.example/thanks?a=1&b=2");
  });

  it("reads only its own creator's rows: a drop link's page ignores another creator's same-named rows", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 4, title: "Own drop" });
    const link = await createLink(tenant, { offer_id: drop.offer_id, drop_id: drop.id });
    // Another creator's link row can never point the page at this creator's data: the page reads by the
    // link's creator, so a row forged to name a foreign offer shows nothing of it.
    const stranger = await createTenant("Stranger");
    await db.insert(checkoutLinks).values({
      id: "lnk_forged_cross_tenant",
      creatorId: stranger.creatorId,
      offerId: drop.offer_id,
      dropId: drop.id,
      quantity: 1,
      source: "link",
      status: "active",
      createdAt: Date.now(),
      updatedAt: Date.now(),
    });
    expect((await openPage(`/l/${link.id}`)).html).toContain("Own drop");
    const forged = await openPage("/l/lnk_forged_cross_tenant");
    expect(forged.status).toBe(410);
    expect(forged.html).not.toContain("Own drop");
    // Its own offer with the first creator's drop: neither the drop's title nor its stock shows.
    const strangersOffer = await createOffer(stranger, oneTimeOffer({ title: "Stranger poster" }));
    await db.insert(checkoutLinks).values({
      id: "lnk_forged_foreign_drop",
      creatorId: stranger.creatorId,
      offerId: strangersOffer.id,
      dropId: drop.id,
      quantity: 1,
      source: "link",
      status: "active",
      createdAt: Date.now(),
      updatedAt: Date.now(),
    });
    const mixed = await openPage("/l/lnk_forged_foreign_drop");
    expect(mixed.html).toContain("Stranger poster");
    expect(mixed.html).not.toContain("Own drop");
    expect(mixed.html).not.toContain("of 4 left");
  });
});

describe("the page's flow through the public API", () => {
  /** What the page's script does: quote with the link's terms, then a checkout without a card (the hold). */
  async function startAsThePage(link: Json) {
    const page = await openPage(`/l/${link.id}`);
    const cfg = configOf(page.html);
    const quote = await api("POST", "/v1/quotes", {
      headers: { "buyer-id": cfg.buyer_id },
      body: {
        offer_id: cfg.offer_id,
        quantity: cfg.quantity,
        ...(cfg.drop_id ? { drop_id: cfg.drop_id } : {}),
        ...(cfg.coupon ? { coupon: cfg.coupon } : {}),
      },
    });
    expect(quote.status).toBe(201);
    const created = await api("POST", "/v1/checkouts", {
      headers: { "buyer-id": cfg.buyer_id, "idempotency-key": crypto.randomUUID() },
      body: {
        quote: quote.body.token,
        email: "fan@example.com",
        source: cfg.source,
        ...(cfg.attribution ? { attribution: cfg.attribution } : {}),
      },
    });
    expect(created.status).toBe(201);
    return { cfg, quote: quote.body, checkout: created.body };
  }

  it("holds the drop's units at step 1 and pays with 4242 at step 2, granting the entitlement", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 2 });
    const link = await createLink(tenant, { offer_id: drop.offer_id, drop_id: drop.id, source: "overlay" });
    const { checkout } = await startAsThePage(link);
    expect(checkout.hold?.expires_at).toBeTruthy();
    const stock = await api("GET", `/v1/drops/${drop.id}/stock`);
    expect(stock.body.held + stock.body.sold).toBeGreaterThanOrEqual(0);
    const paid = await confirm(checkout.id, checkout.secret, { payment_method: "4242 4242 4242 4242" });
    expect(paid.body).toMatchObject({ status: "paid", order_id: expect.stringMatching(/^ord_/) });
    expect(paid.body.entitlement.token).toMatch(/^ey/);
  });

  it("after a decline, a fresh quote and checkout with another card pays (what the page does on retry)", async () => {
    const tenant = await createTenant();
    const link = await createLink(tenant, { offer_id: (await createOffer(tenant)).id });
    const { cfg, quote: used, checkout } = await startAsThePage(link);
    const declined = await confirm(checkout.id, checkout.secret, { payment_method: "4000000000000002" });
    expect(declined.body).toMatchObject({
      status: "failed",
      failure: { message: "Your card was declined." },
    });
    // A quote serves one checkout: the retry asks for a new one, then holds and pays in one call.
    const reused = await api("POST", "/v1/checkouts", {
      headers: { "buyer-id": cfg.buyer_id, "idempotency-key": crypto.randomUUID() },
      body: {
        quote: used.token,
        email: "fan@example.com",
        payment_method: "4242424242424242",
        source: "link",
      },
    });
    expect(reused.status).toBe(409);
    const quote = (
      await api("POST", "/v1/quotes", {
        headers: { "buyer-id": cfg.buyer_id },
        body: { offer_id: cfg.offer_id },
      })
    ).body;
    const retry = await api("POST", "/v1/checkouts", {
      headers: { "buyer-id": cfg.buyer_id, "idempotency-key": crypto.randomUUID() },
      body: {
        quote: quote.token,
        email: "fan@example.com",
        payment_method: "4242424242424242",
        source: "link",
      },
    });
    expect(retry.body, JSON.stringify(retry.body)).toMatchObject({ status: "paid" });
  });

  it("walks a 3-D Secure card through requires_action, then confirms again to pay", async () => {
    const tenant = await createTenant();
    const link = await createLink(tenant, { offer_id: (await createOffer(tenant)).id });
    const { checkout } = await startAsThePage(link);
    const action = await confirm(checkout.id, checkout.secret, { payment_method: "4000 0027 6000 3184" });
    expect(action.body.status).toBe("requires_action");
    expect(action.body.payment.next_action).not.toBeNull();
    const approved = await confirm(checkout.id, checkout.secret);
    expect(approved.body.status).toBe("paid");
  });
});
