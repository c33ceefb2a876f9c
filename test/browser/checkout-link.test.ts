/**
 * The hosted checkout page (/l/{id}) in real Chromium, paying through the sandbox with Stripe's test
 * cards: a card that pays grants access, one that is declined says so and grants nothing, and one that
 * asks for 3-D Secure walks through the bank's check before it pays.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { demo } from "../../src/db/seed";
import { type Api, createLink, type Link, verifyToken } from "./support/api";
import { launchChromium, settles } from "./support/browser";
import { cards, paid, pay, reserve, verifyOffline } from "./support/checkout";

const api: Api = { origin: inject("workerOrigin"), apiKey: inject("apiKey") };
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

/** A new buyer: a fresh browser context (no storage shared with another test) on the link's page. */
async function openLink(): Promise<Page> {
  context = await browser.newContext();
  const page = await context.newPage();
  const res = await page.goto(`${api.origin}/l/${link.id}`);
  expect(res?.status()).toBe(200);
  return page;
}

describe("the hosted checkout page", () => {
  it("shows the price, takes 4242 4242 4242 4242 and grants access with a token that verifies", async () => {
    const page = await openLink();
    await expect.poll(() => page.locator("#total").textContent(), settles).toMatch(/\d/);
    await reserve(page);
    await pay(page, cards.succeeds);
    const { orderId, token } = await paid(page);

    const introspection = await verifyToken(api, token);
    expect(introspection).toMatchObject({ active: true, scope: "purchase", audience: demo.creatorId });
    expect(introspection.entitlements).toContain(demo.dropOfferId);
    const { payload } = await verifyOffline(token, api.origin, demo.creatorId);
    expect(payload.ent).toContain(demo.dropOfferId);
    expect(orderId).toMatch(/^ord_/);
  });

  it("says a declined card was declined, grants nothing, and then pays with another card", async () => {
    const page = await openLink();
    await reserve(page);
    await pay(page, cards.declined);
    await expect.poll(() => page.locator("#error").textContent(), settles).toMatch(/declined/i);
    expect(await page.locator("#error").getAttribute("role")).toBe("alert");
    expect(await page.locator("#success").isVisible()).toBe(false);
    expect((await page.locator("#entitlement-token").textContent())?.trim()).toBe("");

    await pay(page, cards.succeeds);
    const { token } = await paid(page);
    expect((await verifyToken(api, token)).active).toBe(true);
  });

  it("can be bought with the keyboard alone: every field is labelled and Tab walks them in order", async () => {
    const page = await openLink();
    const focused = () => page.evaluate("document.activeElement && document.activeElement.id");
    const labelled = async (label: string) => page.getByLabel(label, { exact: true }).getAttribute("id");
    expect(await labelled("Email")).toBe("email");
    await page.getByLabel("Email", { exact: true }).focus();
    await page.keyboard.type("keys@example.com");
    await page.keyboard.press("Tab");
    expect(await focused()).toBe("continue");
    await page.keyboard.press("Enter");
    // The pay step takes focus on its first field.
    await expect.poll(focused, settles).toBe("card-number");
    expect(await labelled("Card number")).toBe("card-number");
    expect(await labelled("Expiry (MM/YY)")).toBe("card-expiry");
    expect(await labelled("CVC")).toBe("card-cvc");
    await page.keyboard.type(cards.succeeds);
    for (const [next, text] of [
      ["card-expiry", "12/34"],
      ["card-cvc", "123"],
    ] as const) {
      await page.keyboard.press("Tab");
      expect(await focused()).toBe(next);
      await page.keyboard.type(text);
    }
    await page.keyboard.press("Tab");
    expect(await focused()).toBe("pay");
    await page.keyboard.press("Enter");
    await paid(page);
    // Success is announced where the buyer is: it takes focus.
    expect(await focused()).toBe("success");
  });

  it("walks a 3-D Secure card through the bank's check (requires_action) and then pays", async () => {
    const page = await openLink();
    await reserve(page);
    await pay(page, cards.threeDSecure);
    const dialog = page.locator("#authenticate");
    await dialog.waitFor({ state: "visible" });
    expect(await page.locator("#success").isVisible()).toBe(false);
    // The dialog takes focus, so a keyboard user approves it where they are.
    await expect
      .poll(() => page.evaluate("document.activeElement && document.activeElement.id"), settles)
      .toBe("approve-3ds");
    await page.keyboard.press("Enter");
    const { token } = await paid(page);
    expect(await dialog.isVisible()).toBe(false);
    expect((await verifyToken(api, token)).entitlements).toContain(demo.dropOfferId);
  });
});
