/**
 * The widget (embed.js) on a creator's own site, served from another origin than the worker: the
 * README's snippet opens the hosted page in an overlay iframe, the buyer pays inside it, and the host
 * page hears `cc:success` with a token it can verify, with no round trip. Escape closes it and focus
 * goes back where it was. A site the creator never allowed cannot embed the page at all.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { demo } from "../../src/db/seed";
import { type Api, createLink, type Link, verifyToken } from "./support/api";
import { launchChromium, settles } from "./support/browser";
import { cards, paid, pay, reserve, verifyOffline } from "./support/checkout";

const api: Api = { origin: inject("workerOrigin"), apiKey: inject("apiKey") };
const hostOrigin = inject("hostOrigin");
const strangerOrigin = inject("strangerOrigin");
const frameSelector = 'iframe[title="Checkout"]';

interface Recorded {
  type: string;
  target: string | null;
  detail: Record<string, unknown>;
}

let browser: Browser;
let link: Link;
let context: BrowserContext | undefined;

beforeAll(async () => {
  browser = await launchChromium();
  link = await createLink(api);
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await context?.close();
  context = undefined;
});

async function openSite(origin: string, query = ""): Promise<Page> {
  context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${origin}/widget?link=${link.id}${query}`);
  // embed.js is deferred: the link is enhanced once the script has run.
  await page.waitForFunction("window.CCCheckout !== undefined");
  return page;
}

const events = (page: Page) => page.evaluate("window.ccEvents") as Promise<Recorded[]>;
const eventTypes = async (page: Page) => (await events(page)).map((e) => e.type);
const activeId = (page: Page) => page.evaluate("document.activeElement && document.activeElement.id");

describe("the widget on the creator's site", () => {
  it("opens the checkout in an overlay, completes, and cc:success carries a token that verifies", async () => {
    const page = await openSite(hostOrigin, "&prevent=1");
    await page.locator("#buy").click();
    const iframe = page.locator(frameSelector);
    await iframe.waitFor({ state: "visible" });
    expect(await iframe.getAttribute("allow")).toContain("payment");
    expect(new URL((await iframe.getAttribute("src")) ?? "").origin).toBe(api.origin);

    const checkout = page.frameLocator(frameSelector);
    await expect.poll(() => eventTypes(page), settles).toContain("cc:loaded");
    await reserve(checkout);
    await expect.poll(() => eventTypes(page), settles).toContain("cc:hold_created");
    await pay(checkout, cards.succeeds);
    const shown = await paid(checkout);
    await expect.poll(() => eventTypes(page), settles).toContain("cc:success");

    const success = (await events(page)).find((e) => e.type === "cc:success");
    // Dispatched on the link and bubbling to the document, where the host listens.
    expect(success?.target).toBe("buy");
    expect(success?.detail).toMatchObject({ type: "success", link_id: link.id, order_id: shown.orderId });
    const token = String(success?.detail.token);
    expect(token).toBe(shown.token);
    const { payload } = await verifyOffline(token, api.origin, demo.creatorId);
    expect(payload.ent).toContain(demo.dropOfferId);
    expect((await verifyToken(api, token)).entitlements).toContain(demo.dropOfferId);
    // The host unlocked its content from the event alone; the top window never moved.
    expect(await page.locator("#unlocked").isVisible()).toBe(true);
    expect(page.url()).toContain(`${hostOrigin}/widget`);
  });

  it("walks a 3-D Secure card through requires_action inside the overlay", async () => {
    const page = await openSite(hostOrigin, "&prevent=1");
    await page.locator("#buy").click();
    const checkout = page.frameLocator(frameSelector);
    await expect.poll(() => eventTypes(page), settles).toContain("cc:loaded");
    await reserve(checkout);
    await pay(checkout, cards.threeDSecure);
    await expect.poll(() => eventTypes(page), settles).toContain("cc:requires_action");
    await checkout.locator("#approve-3ds").click();
    await paid(checkout);
    await expect.poll(() => eventTypes(page), settles).toContain("cc:success");
  });

  it("closes on Escape, tells the host (cc:close) and gives focus back to the link that opened it", async () => {
    const page = await openSite(hostOrigin);
    await page.locator("#buy").focus();
    await page.keyboard.press("Enter");
    const iframe = page.locator(frameSelector);
    await iframe.waitFor({ state: "visible" });
    const checkout = page.frameLocator(frameSelector);
    await checkout.locator("#email").waitFor({ state: "visible" });
    // Focus stays inside the dialog: it starts on the close button.
    await expect
      .poll(
        () => page.evaluate("document.activeElement && document.activeElement.getAttribute('aria-label')"),
        settles,
      )
      .toBe("Close checkout");

    await page.keyboard.press("Escape");
    await iframe.waitFor({ state: "hidden" });
    await expect.poll(() => eventTypes(page), settles).toContain("cc:close");
    expect(await activeId(page)).toBe("buy");
  });

  it("closes with Escape pressed inside the checkout frame, and with the close button", async () => {
    const page = await openSite(hostOrigin);
    await page.locator("#buy").click();
    const checkout = page.frameLocator(frameSelector);
    // `loaded` is the page's word that its script runs: only then does it hear a key inside the frame.
    await expect.poll(() => eventTypes(page), settles).toContain("cc:loaded");
    await checkout.locator("#email").click();
    // Not awaited: the frame that has the key goes away while Chromium delivers it, and Playwright's
    // press may then never hear the key's acknowledgement. The overlay closing is what counts.
    void page.keyboard.press("Escape").catch(() => undefined);
    await page.locator(frameSelector).waitFor({ state: "hidden" });

    await page.locator("#buy").click();
    await page.locator(frameSelector).waitFor({ state: "visible" });
    await page.locator('[aria-label="Close checkout"]:visible').first().click();
    await page.locator(frameSelector).waitFor({ state: "hidden" });
    expect((await eventTypes(page)).filter((t) => t === "cc:close")).toHaveLength(2);
  });

  it("opens the same checkout from the <cc-checkout> element, whose events name the element", async () => {
    const page = await openSite(hostOrigin);
    await page.locator("#element").click();
    await page.frameLocator(frameSelector).locator("#email").waitFor({ state: "visible" });
    await expect.poll(() => eventTypes(page), settles).toContain("cc:loaded");
    await page.keyboard.press("Escape");
    await page.locator(frameSelector).waitFor({ state: "hidden" });
    await expect.poll(() => eventTypes(page), settles).toContain("cc:close");
    expect((await events(page)).map((e) => e.target)).toEqual(["element", "element"]);
  });
});

describe("a site the creator did not allow", () => {
  it("gets no checkout through the widget: the page refuses to render for it and sends no message", async () => {
    const page = await openSite(strangerOrigin);
    const answer = page.waitForResponse((r) => r.url().startsWith(`${api.origin}/l/${link.id}`));
    await page.locator("#buy").click();
    expect((await answer).status()).toBe(403);
    const frame = await (await page.locator(frameSelector).elementHandle())?.contentFrame();
    await frame?.waitForLoadState("load");
    expect(frame).toBeTruthy();
    expect(await frame?.locator("#email").count()).toBe(0);
    expect(await frame?.locator("#pay").count()).toBe(0);
    // The refusal itself shows in the frame (it sells nothing), so the buyer reads why.
    expect(await frame?.locator("body").innerText()).toContain("can't be shown here");
    expect(await eventTypes(page)).toEqual([]);
  });

  it("cannot frame the page by claiming an allowed parent: frame-ancestors names only that origin", async () => {
    context = await browser.newContext();
    const page = await context.newPage();
    const src = `${api.origin}/l/${link.id}?embed=1&parent=${encodeURIComponent(hostOrigin)}`;
    const answer = page.waitForResponse((r) => r.url() === src);
    await page.goto(`${strangerOrigin}/frame?src=${encodeURIComponent(src)}`);
    const res = await answer;
    expect(res.status()).toBe(200);
    const csp = (await res.headerValue("content-security-policy")) ?? "";
    expect(csp).toMatch(/frame-ancestors [^;]*http:\/\/localhost:\d+/);
    expect(csp).not.toContain(strangerOrigin);
    await page.waitForFunction("window.frameLoaded");
    // Chromium blocked the document: the frame holds its error page, not the checkout.
    const frame = page.frames().find((f) => f !== page.mainFrame());
    expect(frame?.url()).not.toContain(`/l/${link.id}`);
    expect(await page.frameLocator("#frame").locator("#email").count()).toBe(0);
    expect(await page.evaluate("window.pageMessages")).toEqual([]);
  });

  it("is refused the embed-rendered page when it names itself, nothing, or null as the parent", async () => {
    for (const parent of ["", strangerOrigin, "null"]) {
      const res = await fetch(`${api.origin}/l/${link.id}?embed=1&parent=${encodeURIComponent(parent)}`);
      expect(res.status, `parent=${parent}`).toBe(403);
      expect(res.headers.get("content-security-policy")).not.toContain(strangerOrigin);
    }
  });
});
