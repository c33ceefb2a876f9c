/**
 * The admission queue on the hosted checkout page, in real Chromium: while the drop's queue is on, the
 * page holds its reserve step behind "Join the queue"; two buyers join before the start, one unit is on
 * sale, and the shuffle decides who goes first. The buyer admitted reserves and pays with the page's own
 * flow (its hold carries the admission token, or the gate would refuse it); the other is told sold out.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { type Api, createLink } from "./support/api";
import { launchChromium, settles } from "./support/browser";
import { cards, paid, pay, reserve } from "./support/checkout";
import { createQueuedDrop } from "./support/queue";

const api: Api = { origin: inject("workerOrigin"), apiKey: inject("apiKey") };

let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close()));
});

/** A buyer of their own (a context: its own sessionStorage, so its own Buyer-Id) on the page. */
async function buyer(url: string): Promise<Page> {
  const context = await browser.newContext();
  context.setDefaultTimeout(settles.timeout);
  contexts.push(context);
  const page = await context.newPage();
  expect((await page.goto(url))?.status()).toBe(200);
  return page;
}

describe("the queue on the checkout page", () => {
  it("joins before the start, admits by the shuffle, and the admitted buyer pays with the page's flow", async () => {
    const drop = await createQueuedDrop(api, { stock: 1, admitPerSecond: 1, startsInMs: 10_000 });
    const link = await createLink(api, { dropId: drop.id });
    const pages = [await buyer(link.url), await buyer(link.url)];
    for (const page of pages) {
      // The broadcast says the queue is on: the reserve step waits behind "Join the queue".
      await page.locator("#join-queue").waitFor({ state: "visible" });
      expect(await page.locator("#step-email").isHidden()).toBe(true);
      await page.locator("#join-queue").click();
      await expect
        .poll(() => page.locator("#queue-status").textContent(), settles)
        .toMatch(/drawn when the drop starts/);
      expect(await page.locator("#join-queue").isHidden()).toBe(true);
    }
    // At the start one of them is admitted (which one is the shuffle's): the reserve step returns there.
    await expect
      .poll(
        async () =>
          (await Promise.all(pages.map((p) => p.locator("#step-email").isVisible()))).filter(Boolean).length,
        { ...settles, timeout: 45_000 },
      )
      .toBe(1);
    const [first, second] = (await pages[0]?.locator("#step-email").isVisible())
      ? pages
      : [...pages].reverse();
    if (first === undefined || second === undefined) throw new Error("two pages");
    expect(await first.locator("#queue-status").textContent()).toMatch(
      /^It's your turn: reserve within \d+:\d\d\.$/,
    );
    await expect
      .poll(() => second.locator("#queue-status").textContent(), settles)
      .toMatch(
        /^You're number 2 · 0 people ahead of you · (about \d+ s|paused while the last units are reserved)$/,
      );
    await reserve(first);
    await pay(first, cards.succeeds);
    await paid(first);
    // The one unit is sold: the other buyer is told on the page, and never gets to reserve.
    await expect
      .poll(() => second.locator("#queue-status").textContent(), { ...settles, timeout: 45_000 })
      .toBe("Sold out: everything was taken before your turn. Sorry!");
    expect(await second.locator("#step-email").isHidden()).toBe(true);
  }, 150_000);

  it("keeps the admission through a declined card: the next card's new checkout holds with it again", async () => {
    const drop = await createQueuedDrop(api, { stock: 1, admitPerSecond: 1, startsInMs: 6000 });
    const link = await createLink(api, { dropId: drop.id });
    const page = await buyer(link.url);
    await page.locator("#join-queue").click();
    await page.locator("#step-email").waitFor({ state: "visible", timeout: 45_000 });
    await reserve(page);
    await pay(page, cards.declined);
    await expect.poll(() => page.locator("#error").textContent(), settles).toMatch(/declined/i);
    // The decline released the hold; paying again starts a new checkout, gated like the first.
    await pay(page, cards.succeeds);
    await paid(page);
  }, 150_000);
});
