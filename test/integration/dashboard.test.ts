import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { dashboardMetrics } from "../../src/dashboard/metrics";
import { parseDashboardQuery } from "../../src/dashboard/query";
import { dashboardView } from "../../src/dashboard/view";
import { apiKeys, dashboardSessions } from "../../src/db/schema";
import { commitWith } from "../../src/http/context";
import { inventoryGateway } from "../../src/inventory/gateway";
import { sha256Hex } from "../../src/lib/crypto";
import { dashboardPage } from "../../src/surfaces/dashboard/page";
import { api } from "../support/api";
import { cookieOf, paidOrder, postSignIn, send, signIn, withCookie } from "../support/dashboard";
import { createTenant, db, tableCounts } from "../support/tenants";

const signedInPage = (text: string) => text.includes('id="kpis-title"');
const signInForm = (text: string) => text.includes('action="/dashboard/session"');

describe("dashboard sessions", () => {
  it("signs in with the creator's key: 303 to /dashboard and an HttpOnly, SameSite=Strict, host-only cookie", async () => {
    const tenant = await createTenant();
    const answer = await postSignIn(tenant.key);
    expect(answer.status).toBe(303);
    expect(answer.headers.get("location")).toBe("/dashboard");
    const cookie = answer.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^__Host-cc_dashboard=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Secure");
    expect(cookie).not.toMatch(/Domain=/i);
    const page = await withCookie("/dashboard", cookieOf(answer) ?? "");
    expect(page.status).toBe(200);
    expect(signedInPage(page.text)).toBe(true);
    expect(page.text).toContain(tenant.creatorId);
  });

  it("stores only the SHA-256 of the cookie's value, tied to the key, for 30 minutes", async () => {
    const tenant = await createTenant();
    const before = Date.now();
    const cookie = await signIn(tenant);
    const secret = cookie.split("=")[1] ?? "";
    const rows = await db
      .select()
      .from(dashboardSessions)
      .where(eq(dashboardSessions.creatorId, tenant.creatorId));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.hash).toBe(await sha256Hex(secret));
    expect(JSON.stringify(rows)).not.toContain(secret);
    const [key] = await db.select().from(apiKeys).where(eq(apiKeys.creatorId, tenant.creatorId));
    expect(rows[0]?.apiKeyId).toBe(key?.id);
    expect(rows[0]?.expiresAt).toBeGreaterThanOrEqual(before + 30 * 60_000);
    expect(rows[0]?.expiresAt).toBeLessThanOrEqual(Date.now() + 30 * 60_000);
  });

  it("sets a cookie a browser keeps on http://127.0.0.1 in development and test: no Secure, Path=/dashboard", async () => {
    const tenant = await createTenant();
    const local = await send("/dashboard/session", {
      origin: "http://127.0.0.1:8787",
      method: "POST",
      headers: { origin: "http://127.0.0.1:8787", "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ key: tenant.key }).toString(),
    });
    expect(local.status).toBe(303);
    const cookie = local.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^cc_dashboard=/);
    expect(cookie).toContain("Path=/dashboard");
    expect(cookie).not.toContain("Secure");
  });

  it.each([
    ["a wrong key", async () => "cc_sk_not-a-real-key"],
    [
      "a revoked key",
      async () => {
        const tenant = await createTenant();
        await db
          .update(apiKeys)
          .set({ revokedAt: Date.now() })
          .where(eq(apiKeys.creatorId, tenant.creatorId));
        return tenant.key;
      },
    ],
  ])("refuses %s: the form again with 401, no cookie, nothing written", async (_, keyOf) => {
    const key = await keyOf();
    const before = await tableCounts();
    const answer = await postSignIn(key);
    expect(answer.status).toBe(401);
    expect(answer.headers.get("set-cookie")).toBeNull();
    expect(signInForm(answer.text)).toBe(true);
    expect(answer.text).toContain('role="alert"');
    expect(await tableCounts()).toEqual(before);
  });

  it("answers a JSON client's wrong key with 401 problem+json", async () => {
    const res = await api("POST", "/dashboard/session", {
      raw: new URLSearchParams({ key: "cc_sk_nope" }).toString(),
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: "http://api.test",
        accept: "application/json",
      },
    });
    expect(res.status).toBe(401);
    expect(res.body.type).toBe("https://creator-commerce.dev/problems/unauthenticated");
  });

  it.each([
    ["another origin", "https://evil.example"],
    ["a look-alike origin", "http://api.test.evil.example"],
    ["no Origin at all", null],
  ])("refuses a sign-in posted from %s (CSRF) with 403, and starts no session", async (_, origin) => {
    const tenant = await createTenant();
    const res = await api("POST", "/dashboard/session", {
      raw: new URLSearchParams({ key: tenant.key }).toString(),
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        ...(origin === null ? {} : { origin }),
      },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(
      await db.select().from(dashboardSessions).where(eq(dashboardSessions.creatorId, tenant.creatorId)),
    ).toEqual([]);
  });

  it("accepts the session cookie on no /v1 route: the admin API still wants the API key", async () => {
    const tenant = await createTenant();
    const cookie = await signIn(tenant);
    for (const path of ["/v1/orders", "/v1/drops", "/v1/metrics/mrr?from=2026-01-01&to=2026-01-02"]) {
      const res = await api("GET", path, { headers: { cookie } });
      expect(res.status, path).toBe(401);
    }
  });

  it("refuses an expired session: the sign-in form again", async () => {
    const tenant = await createTenant();
    const cookie = await signIn(tenant);
    await db
      .update(dashboardSessions)
      .set({ expiresAt: Date.now() - 1 })
      .where(eq(dashboardSessions.creatorId, tenant.creatorId));
    const page = await withCookie("/dashboard", cookie);
    expect(signInForm(page.text)).toBe(true);
    expect(signedInPage(page.text)).toBe(false);
  });

  it("ends a session at once when its key is revoked", async () => {
    const tenant = await createTenant();
    const cookie = await signIn(tenant);
    expect(signedInPage((await withCookie("/dashboard", cookie)).text)).toBe(true);
    await db.update(apiKeys).set({ revokedAt: Date.now() }).where(eq(apiKeys.creatorId, tenant.creatorId));
    expect(signedInPage((await withCookie("/dashboard", cookie)).text)).toBe(false);
  });

  it("signs out: the session row is deleted and the cookie cleared; the old cookie opens nothing", async () => {
    const tenant = await createTenant();
    const cookie = await signIn(tenant);
    const out = await withCookie("/dashboard/logout", cookie, {
      method: "POST",
      headers: { origin: "http://api.test" },
    });
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toMatch(/^__Host-cc_dashboard=; Max-Age=0/);
    expect(
      await db.select().from(dashboardSessions).where(eq(dashboardSessions.creatorId, tenant.creatorId)),
    ).toEqual([]);
    expect(signedInPage((await withCookie("/dashboard", cookie)).text)).toBe(false);
  });

  it("refuses a sign-out posted from another origin, and the session lives on", async () => {
    const tenant = await createTenant();
    const cookie = await signIn(tenant);
    const out = await withCookie("/dashboard/logout", cookie, {
      method: "POST",
      headers: { origin: "https://evil.example" },
    });
    expect(out.status).toBe(403);
    expect(signedInPage((await withCookie("/dashboard", cookie)).text)).toBe(true);
  });
});

describe("the dashboard page", () => {
  it("never shows another creator's orders or drops to a creator's session", async () => {
    const owner = await createTenant();
    const { drop, orderId } = await paidOrder(owner);
    const ownPage = await withCookie("/dashboard", await signIn(owner));
    expect(ownPage.text).toContain(orderId);
    expect(ownPage.text).toContain(drop.id);
    const stranger = await createTenant("Stranger");
    const page = await withCookie("/dashboard", await signIn(stranger));
    expect(signedInPage(page.text)).toBe(true);
    expect(page.text).not.toContain(orderId);
    expect(page.text).not.toContain(drop.id);
    const filtered = await withCookie(`/dashboard?drop_id=${drop.id}`, await signIn(stranger));
    expect(filtered.text).not.toContain(orderId);
  });

  it("sends a strict nonce CSP, and the page's one script and style carry that nonce", async () => {
    const page = await withCookie("/dashboard", await signIn(await createTenant()));
    const csp = page.headers.get("content-security-policy") ?? "";
    const nonce = /script-src 'nonce-([0-9a-z]+)'/.exec(csp)?.[1];
    expect(nonce).toMatch(/^[0-9a-z]{22}$/);
    expect(csp).toContain(`style-src 'nonce-${nonce}'`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("form-action 'self'");
    const scripts = [...page.text.matchAll(/<script([^>]*)>/g)].map((m) => m[1]);
    expect(scripts).toEqual([' type="application/json" id="cc-dashboard-boot"', ` nonce="${nonce}"`]);
    expect([...page.text.matchAll(/<style([^>]*)>/g)].map((m) => m[1])).toEqual([` nonce="${nonce}"`]);
    expect(page.text).not.toMatch(/(src|href)="https?:/);
    // A fresh nonce per response.
    const again = await withCookie("/dashboard", await signIn(await createTenant()));
    expect(again.headers.get("content-security-policy")).not.toContain(nonce);
  });

  it("filters the orders table by status", async () => {
    const tenant = await createTenant();
    const { orderId } = await paidOrder(tenant);
    const cookie = await signIn(tenant);
    expect((await withCookie("/dashboard?status=paid", cookie)).text).toContain(orderId);
    expect((await withCookie("/dashboard?status=refunded", cookie)).text).not.toContain(orderId);
  });

  it("renders a failing metric as an error tile, and every other metric still", async () => {
    const tenant = await createTenant();
    const ctx = {
      db,
      inventory: inventoryGateway(env.DROP_INVENTORY, db),
      creatorId: tenant.creatorId,
      actor: "test",
      now: Date.now(),
      commit: async (writes: never[], result: unknown) => commitWith(db, undefined)(writes, result),
    };
    const broken = [
      { name: "broken", title: "Broken", fetch: async () => Promise.reject(new Error("D1 fell over")) },
      ...dashboardMetrics,
    ];
    const request = parseDashboardQuery({}, ctx.now);
    const view = await dashboardView(ctx, request, () => {}, broken);
    expect(view.metrics[0]).toMatchObject({ name: "broken", status: "error" });
    expect(view.metrics.slice(1).map((m) => m.name)).toEqual(dashboardMetrics.map((m) => m.name));
    const html = dashboardPage({
      nonce: "n",
      creatorId: tenant.creatorId,
      view,
      range: request.days,
      filters: {},
      links: { next: null, csv: "/dashboard/orders.csv" },
      expiresAt: new Date().toISOString(),
    });
    expect(html).toContain('data-metric="broken" data-status="error"');
    expect(html).not.toContain("D1 fell over");
    for (const m of dashboardMetrics) expect(html).toContain(`data-metric="${m.name}"`);
  });

  it("exports the session's orders as CSV with a header row; another creator's session exports none of them", async () => {
    const owner = await createTenant();
    const { orderId } = await paidOrder(owner);
    const day = new Date().toISOString().slice(0, 10);
    const query = `?created_from=${day}T00:00:00Z&created_to=${new Date(Date.parse(day) + 86_400_000).toISOString()}`;
    const csv = await withCookie(`/dashboard/orders.csv${query}`, await signIn(owner));
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(csv.headers.get("content-disposition")).toMatch(/^attachment; filename=orders-/);
    expect(csv.text.split("\r\n")[0]).toMatch(/^order_id,created_at,/);
    expect(csv.text).toContain(orderId);
    const stranger = await withCookie(`/dashboard/orders.csv${query}`, await signIn(await createTenant()));
    expect(stranger.status).toBe(200);
    expect(stranger.text).not.toContain(orderId);
  });

  it.each([
    ["no session", undefined],
    ["an API key instead of a session", "bearer"],
  ])("answers the CSV export with %s with 401 problem+json", async (_, how) => {
    const tenant = await createTenant();
    const res = await api(
      "GET",
      "/dashboard/orders.csv?created_from=2026-01-01T00:00:00Z&created_to=2026-01-02T00:00:00Z",
      {
        ...(how === "bearer" ? { key: tenant.key } : {}),
      },
    );
    expect(res.status).toBe(401);
  });

  it("links the page's CSV export to the table's filters and the KPI range", async () => {
    const page = await withCookie(
      "/dashboard?from=2026-03-01&to=2026-03-31&status=paid",
      await signIn(await createTenant()),
    );
    expect(page.text).toContain(
      'href="/dashboard/orders.csv?created_from=2026-03-01T00%3A00%3A00Z&amp;created_to=2026-04-01T00%3A00%3A00Z&amp;status=paid"',
    );
  });
});
