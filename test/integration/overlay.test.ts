import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents, overlayTokens } from "../../src/db/schema";
import { sha256Hex } from "../../src/lib/crypto";
import { api, type Json } from "../support/api";
import { authorisationSuite } from "../support/auth-suite";
import { reserveVia } from "../support/drops";
import { createDrop } from "../support/fixtures";
import { createTenant, db, type Tenant, tableCounts } from "../support/tenants";

const rotate = (tenant: Tenant, dropId: string, body: unknown = {}) =>
  api("POST", `/v1/drops/${dropId}/overlay-token`, { key: tenant.key, body });

const page = (dropId: string, token?: string) =>
  api("GET", `/overlay/${dropId}${token === undefined ? "" : `?token=${encodeURIComponent(token)}`}`);

const link = async (tenant: Tenant, drop: Json): Promise<Json> => {
  const res = await api("POST", "/v1/links", {
    key: tenant.key,
    body: { offer_id: drop.offer_id, drop_id: drop.id },
  });
  if (res.status !== 201) throw new Error(`link fixture refused: ${JSON.stringify(res.body)}`);
  return res.body;
};

/** A creator, a live drop with a link, and an overlay token for it. */
async function overlayWorld(terms: Record<string, unknown> = {}) {
  const tenant = await createTenant();
  const drop = await createDrop(tenant, { stock: 25, ...terms });
  const checkoutLink = await link(tenant, drop);
  const issued = await rotate(tenant, drop.id);
  expect(issued.status).toBe(201);
  return { tenant, drop, link: checkoutLink, token: issued.body.token as string, issued: issued.body };
}

/** The problem a page refusal answers, without what differs per request. */
const refusal = (res: Json) => ({ status: res.status, type: res.body.type, detail: res.body.detail });

describe("POST /v1/drops/{id}/overlay-token", () => {
  it("issues a read-only token and the overlay URL that carries it, pointing at the drop's link", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant);
    const checkoutLink = await link(tenant, drop);
    const res = await rotate(tenant, drop.id);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      object: "overlay_token",
      drop_id: drop.id,
      token: expect.stringMatching(/^ovl_[0-9a-z]{40}$/),
      url: `http://api.test/overlay/${drop.id}?token=${res.body.token}`,
      link_id: checkoutLink.id,
      created_at: expect.any(String),
    });
    expect((await page(drop.id, res.body.token)).status).toBe(200);
  });

  it("stores only the token's SHA-256, and the audit row names the link, never the token", async () => {
    const { tenant, drop, link: checkoutLink, token } = await overlayWorld();
    const [row] = await db.select().from(overlayTokens).where(eq(overlayTokens.dropId, drop.id));
    expect(row?.hash).toBe(await sha256Hex(token));
    const audits = await db
      .select()
      .from(auditEvents)
      .where(
        and(eq(auditEvents.creatorId, tenant.creatorId), eq(auditEvents.action, "overlay_token.rotated")),
      );
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ subjectType: "drop", subjectId: drop.id });
    expect(JSON.parse(audits[0]?.data ?? "{}")).toEqual({ link_id: checkoutLink.id });
    expect(JSON.stringify(audits)).not.toContain(token.slice(4));
  });

  it("rotates: the previous token stops opening the overlay at once, the new one opens it", async () => {
    const { tenant, drop, token: first } = await overlayWorld();
    const second = await rotate(tenant, drop.id);
    expect(second.status).toBe(201);
    expect(second.body.token).not.toBe(first);
    expect((await page(drop.id, first)).status).toBe(404);
    expect((await page(drop.id, second.body.token)).status).toBe(200);
    expect(await db.select().from(overlayTokens).where(eq(overlayTokens.dropId, drop.id))).toHaveLength(1);
  });

  it("points the QR code at the link it is given, and at none when the drop has no active link", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant);
    expect((await rotate(tenant, drop.id)).body.link_id).toBeNull();
    const chosen = await link(tenant, drop);
    await link(tenant, drop); // newer, but not the one asked for
    const res = await rotate(tenant, drop.id, { link_id: chosen.id });
    expect(res.body.link_id).toBe(chosen.id);
    expect((await page(drop.id, res.body.token)).body).toContain(`data-url="http://api.test/l/${chosen.id}"`);
  });

  it("stops showing a QR code once its link is archived, rather than send viewers to a dead page", async () => {
    const { tenant, drop, link: checkoutLink, token } = await overlayWorld();
    expect((await page(drop.id, token)).body).toContain('<figure id="qr" data-url=');
    await api("POST", `/v1/links/${checkoutLink.id}/archive`, { key: tenant.key });
    const html: string = (await page(drop.id, token)).body;
    expect(html).toContain('<figure id="qr" hidden></figure>');
    expect(html).not.toContain("<svg");
  });

  it("answers 404 for another creator's drop, writing nothing", async () => {
    const { drop } = await overlayWorld();
    const stranger = await createTenant("Stranger");
    const before = await tableCounts();
    const res = await rotate(stranger, drop.id);
    expect(res.status).toBe(404);
    expect(await tableCounts()).toEqual(before);
  });

  const badBodies: [string, (world: { other: Json; archived: Json }) => unknown, string][] = [
    ["an unknown field", () => ({ link_id: undefined, label: "x" }), "/label"],
    ["a link id that is not a string", () => ({ link_id: 42 }), "/link_id"],
    ["an empty link id", () => ({ link_id: "" }), "/link_id"],
    ["a link that sells another drop", (w) => ({ link_id: w.other.id }), "/link_id"],
    ["an archived link", (w) => ({ link_id: w.archived.id }), "/link_id"],
  ];
  it("answers 404 for another creator's link, as for any of its ids, writing nothing", async () => {
    const { tenant, drop } = await overlayWorld();
    const stranger = await createTenant("Stranger");
    const foreign = await link(stranger, await createDrop(stranger));
    const before = await tableCounts();
    const res = await rotate(tenant, drop.id, { link_id: foreign.id });
    expect(res.status).toBe(404);
    expect(await tableCounts()).toEqual(before);
  });

  it.each(badBodies)("refuses %s with 422, writing nothing", async (_, body, path) => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant);
    const otherDrop = await createDrop(tenant);
    const archived = await link(tenant, drop);
    expect((await api("POST", `/v1/links/${archived.id}/archive`, { key: tenant.key })).status).toBe(200);
    const world = { other: await link(tenant, otherDrop), archived };
    const before = await tableCounts();
    const res = await rotate(tenant, drop.id, body(world));
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([expect.objectContaining({ in: "body", path })]);
    expect(await tableCounts()).toEqual(before);
  });

  it("refuses malformed JSON with 400", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant);
    const res = await api("POST", `/v1/drops/${drop.id}/overlay-token`, {
      key: tenant.key,
      raw: "{",
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(400);
  });

  authorisationSuite("POST /v1/drops/{id}/overlay-token", async (owner) => {
    const drop = await createDrop(owner);
    return (key) => api("POST", `/v1/drops/${drop.id}/overlay-token`, { key, body: {} });
  });
});

describe("the overlay token grants nothing else", () => {
  it.each([
    ["read the drop", "GET", (id: string) => `/v1/drops/${id}`, undefined],
    ["rotate its own token", "POST", (id: string) => `/v1/drops/${id}/overlay-token`, {}],
    ["list the creator's links", "GET", () => "/v1/links", undefined],
  ])("answers 401 when the token is sent as an API key to %s", async (_, method, path, body) => {
    const { drop, token } = await overlayWorld();
    const res = await api(method, path(drop.id), { key: token, body });
    expect(res.status).toBe(401);
  });

  it("does not open another drop's overlay, even the same creator's", async () => {
    const { tenant, token } = await overlayWorld();
    const sibling = await createDrop(tenant);
    await rotate(tenant, sibling.id);
    expect((await page(sibling.id, token)).status).toBe(404);
  });
});

describe("GET /overlay/{id}", () => {
  it("gives one identical 404 whatever is wrong, so a guess learns nothing", async () => {
    const { tenant, drop, token } = await overlayWorld();
    const other = await overlayWorld();
    const untokened = await createDrop(tenant);
    const wrong = `ovl_${"0".repeat(40)}`;
    const answers = await Promise.all([
      page("drp_does_not_exist", token), // an unknown drop
      page(drop.id, wrong), // a wrong token of the right shape
      page(drop.id, other.token), // another creator's drop's token
      page(drop.id), // no token
      page(drop.id, token.slice(0, -1)), // a malformed token
      page(drop.id, token.toUpperCase()), // case matters
      page(untokened.id, token), // a drop with no overlay issued
    ]);
    const expected = refusal(answers[0]);
    expect(expected).toMatchObject({ status: 404, type: expect.stringContaining("not-found") });
    for (const res of answers) expect(refusal(res)).toEqual(expected);
  });

  it("renders stock left, the countdown to the end, and the QR code to the drop's link", async () => {
    const {
      drop,
      link: checkoutLink,
      token,
    } = await overlayWorld({
      ends_at: new Date(Date.now() + 2 * 60 * 60 * 1000).toISOString(),
    });
    const res = await page(drop.id, token);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=UTF-8");
    const html: string = res.body;
    expect(html).toMatch(
      /<div id="stock-left" data-available="25" data-stock="25"><span id="stock-available">25<\/span> of <span id="stock-total">25<\/span> left<\/div>/,
    );
    expect(html).toMatch(/<div id="countdown"[^>]*>Ends in (1:59:\d\d|2:00:00)<\/div>/);
    expect(html).toMatch(
      new RegExp(`<figure id="qr" data-url="http://api.test/l/${checkoutLink.id}"><svg [^>]*role="img"`),
    );
    expect(html).toContain('<div id="ticker" role="status" aria-live="polite"></div>');
    expect(html).toMatch(/<body data-seq="-?\d+" data-phase="live">/);
    expect(html).not.toContain(token);
  });

  it("counts down to the start while the drop is upcoming", async () => {
    const { drop, token } = await overlayWorld({
      starts_at: new Date(Date.now() + 3 * 60 * 60 * 1000).toISOString(),
    });
    const html: string = (await page(drop.id, token)).body;
    expect(html).toMatch(/<div id="countdown"[^>]*>Starts in (2:59:\d\d|3:00:00)<\/div>/);
    expect(html).toContain('data-phase="upcoming"');
  });

  it("shows the figures the drop's object holds after holds are taken", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 10 });
    await reserveVia(drop.id, { quantity: 3 });
    const token = (await rotate(tenant, drop.id)).body.token;
    expect((await page(drop.id, token)).body).toContain('data-available="7" data-stock="10"');
  });

  it("escapes the drop's title", async () => {
    const { drop, token } = await overlayWorld({ title: "</title><script>alert(1)</script>" });
    const html: string = (await page(drop.id, token)).body;
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).toContain("&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  it("allows exactly its own inline script and style, keeps no copy and sends no referrer", async () => {
    const { drop, token } = await overlayWorld();
    const res = await page(drop.id, token);
    const html: string = res.body;
    const csp = res.headers.get("content-security-policy") ?? "";
    const inline = (tag: string) =>
      [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g"))].map((m) => m[1] ?? "");
    const scripts = inline("script");
    const styles = inline("style");
    expect(scripts).toHaveLength(1);
    expect(styles).toHaveLength(1);
    const hash = async (text: string) =>
      `'sha256-${btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))))}'`;
    expect(csp).toContain(`script-src ${await hash(scripts[0] ?? "")}`);
    expect(csp).toContain(`style-src ${await hash(styles[0] ?? "")}`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("connect-src 'self' wss://api.test ws://api.test");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  });
});
