/**
 * The admission queue on the live-stream overlay, in real Chromium against a real queued drop: before
 * the start it shows how many wait; at the start it shows the queue admitting at the drop's rate and how
 * far it has admitted; admitted viewers hold with their admission tokens (a viewer without one is
 * refused); and when the last unit goes it says "Sold out — everyone still waiting has been told", which
 * every waiting viewer's ticket then confirms.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { type Api, createLink, overlayToken } from "./support/api";
import { launchChromium, settles } from "./support/browser";
import { createQueuedDrop, holdWith, joinQueue, readTicket, type Ticket } from "./support/queue";

const api: Api = { origin: inject("workerOrigin"), apiKey: inject("apiKey") };
const STOCK = 3;
const VIEWERS = 12;
const RATE = 1;

let browser: Browser;
let context: BrowserContext | undefined;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await context?.close();
  context = undefined;
});

const queueLine = (page: Page) => page.locator("#queue");
const queueAttr = async (page: Page, name: string) => Number(await queueLine(page).getAttribute(name));

describe("the queue on the overlay", () => {
  it("shows viewers waiting, the queue admitting at its rate, then sold out with everyone told", async () => {
    const drop = await createQueuedDrop(api, { stock: STOCK, admitPerSecond: RATE, startsInMs: 8000 });
    const link = await createLink(api, { dropId: drop.id });
    const { url } = await overlayToken(api, drop.id, link.id);
    const run = crypto.randomUUID().slice(0, 8);
    const viewers = Array.from({ length: VIEWERS }, (_, i) => ({
      buyer: `queue-${run}-${i}`,
      ticket: {} as Ticket,
    }));
    for (const v of viewers) v.ticket = await joinQueue(api, drop.id, v.buyer);
    // Before the start nobody has a place: places are drawn at the start.
    expect(viewers.map((v) => v.ticket.position)).toEqual(viewers.map(() => null));

    context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    context.setDefaultTimeout(settles.timeout);
    const page = await context.newPage();
    expect((await page.goto(`${url}&debug=1`))?.status()).toBe(200);
    await page.locator(`#queue[data-state="gathering"][data-waiting="${VIEWERS}"]`).waitFor();
    expect(await queueLine(page).textContent()).toBe(
      `Queue: ${VIEWERS} waiting · places drawn fairly at the start`,
    );
    expect(await page.locator("#status").textContent()).toBe("");

    // The start: the queue admits at the drop's rate, and the overlay says so.
    await page.locator('#queue[data-state="admitting"]').waitFor();
    expect(await queueLine(page).textContent()).toMatch(
      new RegExp(`^Queue: \\d+ waiting · admitting ${RATE}/s`),
    );

    // Admitted viewers hold with their tokens; a viewer holding without one is refused.
    const refused = await holdWith(api, drop.id, `queue-${run}-nobody`, null);
    expect(refused.status).toBe(403);
    expect(refused.body.type).toMatch(/admission-required$/);
    const held = new Set<string>();
    let seenAdmittedThrough = 0;
    while (held.size < STOCK) {
      for (const v of viewers) {
        if (held.has(v.buyer)) continue;
        v.ticket = await readTicket(api, drop.id, v.ticket.id, v.buyer);
        if (v.ticket.status !== "admitted" || v.ticket.admission_token === null) continue;
        const hold = await holdWith(api, drop.id, v.buyer, v.ticket.admission_token);
        expect(hold.status, JSON.stringify(hold.body)).toBe(201);
        held.add(v.buyer);
      }
      seenAdmittedThrough = Math.max(seenAdmittedThrough, await queueAttr(page, "data-admitted-through"));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    // The overlay followed the admissions: it named a place admitted (each ticket is one unit here).
    expect(seenAdmittedThrough).toBeGreaterThan(0);
    expect(seenAdmittedThrough).toBeLessThanOrEqual(STOCK);

    // The last unit is held: sold out, said once on the status line, and the queue's line gives way.
    await page.locator('#queue[data-state="sold_out"]').waitFor({ state: "attached" });
    expect(await page.locator("#status").textContent()).toBe(
      "Sold out — everyone still waiting has been told",
    );
    expect(await queueLine(page).isHidden()).toBe(true);
    await page.locator('#stock-left[data-available="0"]').waitFor();
    // And it is true: every viewer who did not hold is told sold out on their own ticket.
    for (const v of viewers.filter((x) => !held.has(x.buyer))) {
      expect((await readTicket(api, drop.id, v.ticket.id, v.buyer)).status, v.buyer).toBe("sold_out");
    }
  }, 120_000);
});
