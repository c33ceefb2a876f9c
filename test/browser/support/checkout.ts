/**
 * What a buyer does on the hosted checkout page, the same whether the page is the top document (a
 * `Page`) or the widget's iframe (a `FrameLocator`): give an email, reserve, type a sandbox test card,
 * pay. Every wait is for something the page shows; none is for a length of time.
 */
import { createRemoteJWKSet, jwtVerify } from "jose";
import type { Locator } from "playwright-core";
import { expect } from "vitest";

/** A page or the widget's frame: anything that finds elements by selector. */
export interface Surface {
  locator(selector: string): Locator;
}

/** The sandbox's test cards (src/payments/sandbox-cards.ts), as a buyer types them. */
export const cards = {
  succeeds: "4242 4242 4242 4242",
  declined: "4000 0000 0000 0002",
  threeDSecure: "4000 0027 6000 3184",
} as const;

/**
 * Email, then "Reserve and continue": the checkout is created and its hold starts counting down. The
 * page's script must be running first: `page.goto` waits for the load event; in the widget, wait for
 * `cc:loaded`.
 */
export async function reserve(page: Surface, email = "fan@example.com"): Promise<void> {
  await page.locator("#email").fill(email);
  await page.locator("#continue").click();
  await page.locator("#hold-countdown").waitFor({ state: "visible" });
  await page.locator("#card-number").waitFor({ state: "visible" });
}

/** Types a card and presses Pay; resolves once the press has been handled (the button is free again). */
export async function pay(page: Surface, card: string): Promise<void> {
  await page.locator("#card-number").fill(card);
  await page.locator("#card-expiry").fill("12/34");
  await page.locator("#card-cvc").fill("123");
  await page.locator("#pay").click();
}

export interface Paid {
  orderId: string;
  token: string;
}

/** The success state: an order id and the buyer's entitlement token, a compact JWS. */
export async function paid(page: Surface): Promise<Paid> {
  await page.locator("#success").waitFor({ state: "visible" });
  const orderId = (await page.locator("#order-id").textContent())?.trim() ?? "";
  const token = (await page.locator("#entitlement-token").textContent())?.trim() ?? "";
  expect(orderId).toMatch(/^ord_/);
  expect(token.split(".")).toHaveLength(3);
  return { orderId, token };
}

/**
 * Verifies `token` offline as a creator's back end would: against the worker's published JWKS, EdDSA
 * only, its issuer and the creator as audience. Returns the claims.
 */
export async function verifyOffline(token: string, workerOrigin: string, creatorId: string) {
  const jwks = createRemoteJWKSet(new URL("/.well-known/jwks.json", workerOrigin));
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    issuer: workerOrigin,
    audience: creatorId,
    algorithms: ["EdDSA"],
    typ: "entitlement+jwt",
  });
  return { payload, protectedHeader };
}
