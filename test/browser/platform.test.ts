/**
 * The platform in real Chromium, as a newcomer walks it with `npm start` (docs/platform.md): the
 * operator creates a second creator with a platform fee, the creator links a sandbox connected account
 * and completes onboarding on the sandbox's page (a real form post, with the browser's own Origin), a
 * buyer pays on the creator's hosted page, the order is split between the creator's account and the
 * platform, and once the operator suspends the creator its page sells nothing.
 */
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { launchChromium, settles } from "./support/browser";
import { cards, paid, pay, reserve } from "./support/checkout";

const origin = inject("workerOrigin");
const operatorKey = inject("operatorKey");
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

/** One API call from Node; any status but `expect` throws with the body, so a failing step names itself. */
async function call(
  method: string,
  path: string,
  key: string,
  body?: unknown,
  expect: number[] = [200, 201],
): Promise<Record<string, unknown>> {
  const res = await fetch(`${origin}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      "idempotency-key": crypto.randomUUID(),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!expect.includes(res.status)) throw new Error(`${method} ${path}: ${res.status}: ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

describe("a second creator on the platform", () => {
  it("is created by the operator, onboards its payout account on the sandbox's page, sells with the fee split, and sells nothing once suspended", async () => {
    const created = await call("POST", "/v1/operator/creators", operatorKey, {
      name: "Browser Second Creator",
      default_currency: "USD",
      platform_fee_bps: 500,
    });
    const creator = created.creator as { id: string };
    const key = (created.api_key as { secret: string }).secret;

    const account = await call("POST", "/v1/connect/account", key, { type: "express" });
    expect(account).toMatchObject({ ready: false, provider: "sandbox" });
    const link = await call("POST", "/v1/connect/account-links", key, {});

    // The creator's browser: the onboarding page, then its "Complete onboarding" button.
    context = await browser.newContext();
    const page = await context.newPage();
    expect((await page.goto(link.url as string))?.status()).toBe(200);
    await page.getByRole("button", { name: "Complete onboarding" }).click();
    await page.waitForURL(`${origin}/connect/return`);
    expect(await page.locator("h1").textContent()).toMatch(/payout details sent/i);
    expect(await call("GET", "/v1/connect/account", key)).toMatchObject({
      ready: true,
      charges_enabled: true,
      details_submitted: true,
    });

    // Something to sell: a drop of a $12.00 offer, and its hosted page.
    const offer = await call("POST", "/v1/offers", key, {
      kind: "one_time",
      title: "Sample pack",
      prices: [{ currency: "USD", amount: 1200 }],
    });
    const drop = await call("POST", "/v1/drops", key, {
      offer_id: offer.id,
      title: "Sample pack drop",
      stock: 5,
      per_buyer_limit: null,
    });
    const checkoutLink = await call("POST", "/v1/links", key, { offer_id: offer.id, drop_id: drop.id });

    // A buyer's browser: the creator's page, 4242, paid.
    const buyer = await context.newPage();
    expect((await buyer.goto(`${origin}/l/${checkoutLink.id}`))?.status()).toBe(200);
    await expect.poll(() => buyer.locator("#total").textContent(), settles).toMatch(/12/);
    await reserve(buyer);
    await pay(buyer, cards.succeeds);
    const { orderId } = await paid(buyer);

    const order = await call("GET", `/v1/orders/${orderId}`, key);
    expect(order).toMatchObject({
      status: "paid",
      amount: 1200,
      payout: { destination_account: account.account_id, platform_fee: 60, creator_share: 1140 },
    });

    // Suspended: the page says the shop is unavailable, and the creator's key is refused.
    await call("POST", `/v1/operator/creators/${creator.id}/suspend`, operatorKey, {
      reason: "browser test",
    });
    const closed = await context.newPage();
    expect((await closed.goto(`${origin}/l/${checkoutLink.id}`))?.status()).toBe(403);
    expect(await closed.locator("h1").textContent()).toMatch(/unavailable/i);
    await call("GET", "/v1/orders", key, undefined, [403]);
  });
});
