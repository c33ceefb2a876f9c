/**
 * CORS as a real browser enforces it, preflights and all: the creator's own site may call the public
 * buyer API cross-origin, another site may not, public stock is open to anyone, and the admin API
 * answers no browser on another origin, even one holding the creator's key on an allowed site.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { demo } from "../../src/db/seed";
import { launchChromium } from "./support/browser";

const workerOrigin = inject("workerOrigin");
const apiKey = inject("apiKey");

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

interface Outcome {
  status?: number;
  blocked?: string;
}

/** `fetch` from the page: the status when the browser lets the page read it, else why it did not. */
const call = (page: Page, path: string, init: Record<string, unknown>) =>
  page.evaluate(`fetch(${JSON.stringify(workerOrigin + path)}, ${JSON.stringify(init)}).then(
    (res) => ({ status: res.status }),
    (error) => ({ blocked: String(error) }),
  )`) as Promise<Outcome>;

const quote = {
  method: "POST",
  headers: { "content-type": "application/json", "buyer-id": "browser-cors-buyer-1" },
  body: JSON.stringify({ offer_id: demo.dropOfferId, drop_id: demo.dropId }),
};
const stock = { method: "GET" };
const admin = { method: "GET", headers: { authorization: `Bearer ${apiKey}` } };

async function siteOf(origin: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${origin}/frame?src=about:blank`);
  return page;
}

describe("cross-origin calls from a browser", () => {
  it("lets the creator's site ask for a quote (preflighted) and read public stock", async () => {
    const page = await siteOf(inject("hostOrigin"));
    expect(await call(page, "/v1/quotes", quote)).toMatchObject({ status: 201 });
    expect(await call(page, `/v1/drops/${demo.dropId}/stock`, stock)).toEqual({ status: 200 });
  });

  it("refuses a quote to a site the creator did not allow, which still reads public stock", async () => {
    const page = await siteOf(inject("strangerOrigin"));
    expect((await call(page, "/v1/quotes", quote)).blocked).toMatch(/TypeError/);
    expect(await call(page, `/v1/drops/${demo.dropId}/stock`, stock)).toEqual({ status: 200 });
  });

  it("answers no admin call from another origin, even the creator's allowed site with its key", async () => {
    const page = await siteOf(inject("hostOrigin"));
    expect((await call(page, "/v1/drops", admin)).blocked).toMatch(/TypeError/);
  });
});
