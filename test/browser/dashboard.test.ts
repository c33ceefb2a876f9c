/**
 * The creator dashboard (/dashboard) in real Chromium against the worker `npm start` serves: sign in
 * with the seeded key, see every registered KPI computed from purchases this test makes through the
 * public API with the sandbox's 4242 card, charts drawn by uPlot, the orders table filtered, the CSV
 * downloaded, a live drop's remaining stock falling as a buyer buys, and signing out.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { dashboardMetrics } from "../../src/dashboard/metrics";
import { demo } from "../../src/db/seed";
import { type Api, createDrop, type Drop } from "./support/api";
import { launchChromium, settles } from "./support/browser";
import { type Bought, buy } from "./support/dashboard";

const api: Api = { origin: inject("workerOrigin"), apiKey: inject("apiKey") };
let browser: Browser;
let context: BrowserContext | undefined;
let drop: Drop;
const bought: Bought[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  // A drop of this test's own, bought from twice, and a membership tier: a subscription.
  drop = await createDrop(api, 50);
  bought.push(await buy(api, demo.dropOfferId, drop.id));
  bought.push(await buy(api, demo.dropOfferId, drop.id));
  bought.push(await buy(api, "off_demo_fan"));
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await context?.close();
  context = undefined;
});

/** A fresh browser (no cookies) on /dashboard, recording every CSP violation and every request it makes. */
async function open(): Promise<{ page: Page; violations: string[]; requests: string[] }> {
  context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  const violations: string[] = [];
  const requests: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to/.test(m.text())) violations.push(m.text());
  });
  const res = await page.goto(`${api.origin}/dashboard`);
  expect(res?.status()).toBe(200);
  return { page, violations, requests };
}

async function signIn(page: Page, key = api.apiKey): Promise<void> {
  await page.locator("#key").fill(key);
  await Promise.all([page.waitForURL(`${api.origin}/dashboard`), page.locator("#sign-in").click()]);
}

describe("the creator dashboard", () => {
  it("refuses a wrong key: the form again, with the reason, and no session", async () => {
    const { page } = await open();
    await page.locator("#key").fill("cc_sk_not-the-key");
    await page.locator("#sign-in").click();
    await expect.poll(() => page.locator("#signin-error").textContent(), settles).toMatch(/not valid/);
    expect(await page.locator("#key").getAttribute("aria-invalid")).toBe("true");
    expect(await context?.cookies()).toEqual([]);
  });

  it("signs in with the key and shows every registered KPI, computed from this test's purchases", async () => {
    const { page, violations, requests } = await open();
    await signIn(page);
    const cookies = (await context?.cookies()) ?? [];
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({
      name: "cc_dashboard",
      httpOnly: true,
      sameSite: "Strict",
      path: "/dashboard",
    });

    const cards = page.locator("[data-metric]");
    expect(await cards.evaluateAll((els) => els.map((e) => e.getAttribute("data-metric")))).toEqual(
      dashboardMetrics.map((m) => m.name),
    );
    for (const m of dashboardMetrics) {
      expect(await page.locator(`[data-metric="${m.name}"]`).getAttribute("data-status"), m.name).toBe("ok");
    }
    // Time to entitlement: this test's paid checkouts, and a p50 that is a duration, not a dash.
    const tile = (metric: string, key: string) =>
      page.locator(`[data-metric="${metric}"] .tile[data-key="${key}"] dd`).textContent();
    expect(Number(await tile("time-to-entitlement", "paid_checkouts"))).toBeGreaterThanOrEqual(bought.length);
    expect(await tile("time-to-entitlement", "p50_ms")).toMatch(/^\d+(\.\d)? (ms|s)$/);
    expect(await tile("time-to-entitlement", "within_target")).toMatch(/%$/);
    // The subscription: recurring revenue and an enrolment.
    expect(await tile("mrr", "closing_mrr")).toMatch(/^\$[1-9]/);
    expect(Number(await tile("enrolments", "enrolments"))).toBeGreaterThanOrEqual(1);
    // Today's funnel for this test's drop: two paid.
    const paid = page.locator(`#drop-${drop.id} .funnel li[data-step="paid"] strong`);
    await expect.poll(() => paid.textContent(), settles).toBe("2");
    // Every series drawn as a uPlot canvas.
    const charts = await page.locator(".chart").count();
    expect(charts).toBeGreaterThan(0);
    expect(await page.locator(".chart canvas").count()).toBe(charts);
    expect(await page.evaluate("window.ccDashboard && window.ccDashboard.charts")).toBe(charts);
    expect(violations).toEqual([]);
    // Nothing but this worker: no CDN, no fonts, no analytics.
    const origin = new URL(api.origin);
    const foreign = requests.filter((url) => {
      const u = new URL(url);
      return u.host !== origin.host && u.protocol !== "data:";
    });
    expect(foreign).toEqual([]);
  });

  it("filters the orders table by status, and exports the CSV with its header row", async () => {
    const { page } = await open();
    await signIn(page);
    const ours = bought.map((b) => b.order_id);
    await page.locator("#filter-status").selectOption("paid");
    await Promise.all([page.waitForURL(/status=paid/), page.locator("#filter-apply").click()]);
    const statuses = await page
      .locator("#orders tbody tr")
      .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-status")));
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set(["paid"]));
    const shown = await page
      .locator("#orders tbody tr")
      .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-order")));
    expect(shown).toEqual(expect.arrayContaining(ours));

    await page.locator("#filter-status").selectOption("refunded");
    await Promise.all([page.waitForURL(/status=refunded/), page.locator("#filter-apply").click()]);
    const refunded = await page
      .locator("#orders tbody tr")
      .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-order")));
    for (const id of ours) expect(refunded).not.toContain(id);

    await page.locator("#filter-status").selectOption("paid");
    await Promise.all([page.waitForURL(/status=paid/), page.locator("#filter-apply").click()]);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.locator("#orders-csv").click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^orders-.*\.csv$/);
    const stream = await download.createReadStream();
    let text = "";
    for await (const chunk of stream) text += chunk.toString();
    const [header, ...rows] = text.trim().split("\r\n");
    expect(header).toMatch(/^order_id,created_at,paid_at,status,/);
    for (const id of ours) expect(rows.some((r) => r.startsWith(`${id},`))).toBe(true);
  });

  it("shows a live drop's remaining stock falling when a buyer buys one", async () => {
    const { page } = await open();
    await signIn(page);
    const remaining = page.locator(`#drop-${drop.id}-available`);
    const before = Number(await remaining.textContent());
    const soldBefore = Number(await page.locator(`#drop-${drop.id}-sold`).textContent());
    expect(before).toBe(drop.stock - soldBefore);
    await expect
      .poll(
        () => page.evaluate<string[]>("Object.values((window.ccDashboard || {}).transports || {})"),
        settles,
      )
      .toContain("websocket");
    bought.push(await buy(api, demo.dropOfferId, drop.id));
    await expect.poll(async () => Number(await remaining.textContent()), settles).toBe(before - 1);
    await expect
      .poll(async () => Number(await page.locator(`#drop-${drop.id}-sold`).textContent()), settles)
      .toBe(soldBefore + 1);
  });

  it("signs out: the session ends, and the old cookie opens nothing", async () => {
    const { page } = await open();
    await signIn(page);
    const [cookie] = (await context?.cookies()) ?? [];
    await Promise.all([page.waitForURL(`${api.origin}/dashboard`), page.locator("#sign-out").click()]);
    await page.locator("#key").waitFor({ state: "visible" });
    expect(await context?.cookies()).toEqual([]);
    // The copied cookie is dead on the server too.
    const res = await fetch(`${api.origin}/dashboard`, {
      headers: { cookie: `${cookie?.name}=${cookie?.value}` },
    });
    expect(await res.text()).toContain('action="/dashboard/session"');
  });

  it("refuses a sign-in form posted from another site (CSRF), and sets no cookie", async () => {
    context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${inject("strangerOrigin")}/frame?src=about:blank`);
    const answer = page.waitForResponse(`${api.origin}/dashboard/session`);
    // A page of another site that posts the sign-in form to the worker, as a CSRF attempt would.
    await page.evaluate(`(() => {
      const form = document.createElement("form");
      form.method = "post";
      form.action = ${JSON.stringify(`${api.origin}/dashboard/session`)};
      const input = document.createElement("input");
      input.name = "key";
      input.value = ${JSON.stringify(api.apiKey)};
      form.append(input);
      document.body.append(form);
      form.submit();
    })()`);
    expect((await answer).status()).toBe(403);
    expect(await context.cookies()).toEqual([]);
  });
});
