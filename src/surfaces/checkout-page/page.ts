/**
 * The hosted checkout page (/l/{id}), rendered on the server: everything a buyer needs to read is in
 * the HTML (title, price lines for their country, stock), and the inlined script (clients/checkout-page)
 * adds the quote, the hold and payment. Every creator-supplied string goes through `html`, which escapes.
 */
import type { PageConfig } from "../../../clients/checkout-page/config";
import { formatMoney, type Line, lineLabel, stockText } from "../../../clients/checkout-page/format";
import script from "../generated/checkout-page";
import { html, type Markup, scriptJson, trusted } from "./html";
import { pageCss } from "./styles";

export interface PagePrice {
  currency: string;
  lines: Line[];
  total: number;
}

export interface PageStock {
  available: number;
  stock: number;
  phase: string;
}

export interface CheckoutPageView {
  nonce: string;
  /** The link's own title, shown above the offer's. */
  eyebrow: string | null;
  title: string;
  description: string | null;
  /** Null when the offer cannot be priced for this buyer now; the script's quote says why. */
  price: PagePrice | null;
  stock: PageStock | null;
  config: PageConfig;
}

const STRIPE_JS = "https://js.stripe.com/v3";

function shell(nonce: string, title: string, body: Markup, head: Markup = html``): Markup {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><meta name="referrer" content="strict-origin-when-cross-origin"><title>${title}</title><style nonce="${nonce}">${trusted(pageCss)}</style>${head}</head><body>${body}</body></html>`;
}

export const priceLines = (price: PagePrice): Markup =>
  html`${price.lines.map(
    (line) =>
      html`<div><dt>${lineLabel(line)}</dt><dd>${formatMoney(line.amount, price.currency)}</dd></div>`,
  )}`;

export function renderCheckoutPage(view: CheckoutPageView): string {
  const { config, nonce, price } = view;
  const embedded = config.parent !== null;
  const stripe = config.stripe_key !== null;
  const total = price === null ? "" : formatMoney(price.total, price.currency);
  const body = html`<main id="checkout" aria-labelledby="title">
${embedded ? html`<button id="close" type="button" aria-label="Close checkout">×</button>` : ""}
${view.eyebrow === null ? "" : html`<p class="eyebrow">${view.eyebrow}</p>`}
<h1 id="title">${view.title}</h1>
${view.description === null ? "" : html`<p class="desc">${view.description}</p>`}
<section class="card" aria-label="Price"><dl id="lines">${price === null ? "" : priceLines(price)}</dl>
<p class="total"><span>Total${config.quantity > 1 ? ` (${config.quantity} ×)` : ""}</span><strong id="total">${total}</strong></p>
<p id="quote-note" class="note" aria-live="polite"></p></section>
${view.stock === null ? "" : html`<p id="stock" role="status" aria-live="polite"><span id="stock-text">${stockText(view.stock)}</span></p>`}
${
  view.stock === null
    ? ""
    : html`<section id="queue" class="card" aria-labelledby="queue-title" hidden>
<h2 id="queue-title">This drop has a queue</h2>
<p id="queue-status" role="status" aria-live="polite"></p>
<button id="join-queue" type="button">Join the queue</button>
<p class="note">Your place comes with a short window to reserve. Keep this page open; it updates itself.</p>
</section>`
}
<form id="step-email" class="step" novalidate>
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="email" inputmode="email" required aria-describedby="email-hint">
<p id="email-hint" class="hint">Your receipt and access go to this address.</p>
<button id="continue" type="submit">${view.stock === null ? "Continue" : "Reserve and continue"}</button>
</form>
<form id="step-pay" class="step" novalidate hidden>
<p id="hold-countdown" role="timer"><span id="countdown-visible" aria-hidden="true"></span><span id="countdown-live" class="sr-only" aria-live="polite"></span></p>
${
  stripe
    ? html`<div id="payment-element"></div>`
    : html`<label for="card-number">Card number</label>
<input id="card-number" name="card-number" autocomplete="cc-number" inputmode="numeric" required aria-describedby="card-hint">
<div class="row"><div><label for="card-expiry">Expiry (MM/YY)</label><input id="card-expiry" name="card-expiry" autocomplete="cc-exp" inputmode="numeric" placeholder="MM/YY" required></div>
<div><label for="card-cvc">CVC</label><input id="card-cvc" name="card-cvc" autocomplete="cc-csc" inputmode="numeric" required></div></div>
<p id="card-hint" class="hint">Test mode: 4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined; 4000 0027 6000 3184 asks for authentication.</p>`
}
<button id="pay" type="submit">Pay<span id="pay-amount">${total === "" ? "" : ` ${total}`}</span></button>
</form>
<p id="error" role="alert"></p>
<section id="success" hidden tabindex="-1" aria-labelledby="success-title">
<h2 id="success-title">Paid. Thank you!</h2>
<p>Order <code id="order-id"></code></p>
<p>Your access token (a signed receipt apps can verify):</p>
<code id="entitlement-token"></code>
<p class="note">Valid until <time id="entitlement-expires"></time>; your email has what you need to sign in later.</p>
${!embedded && config.success_url !== null ? html`<a id="success-link" class="button" href="${config.success_url}">Continue</a>` : ""}
</section>
${
  stripe
    ? ""
    : html`<dialog id="authenticate" aria-labelledby="auth-title" aria-describedby="auth-desc">
<h2 id="auth-title">Confirm this payment</h2>
<p id="auth-desc">Your bank asks you to approve this payment (a test-mode 3-D Secure check).</p>
<div class="actions"><button id="approve-3ds" type="button">Approve</button><button id="cancel-3ds" type="button" class="secondary">Cancel</button></div>
</dialog>`
}
</main>
<script type="application/json" id="cc-config">${scriptJson(config)}</script>
<script nonce="${nonce}">${trusted(script)}</script>`;
  const head = stripe ? html`<script src="${STRIPE_JS}" nonce="${nonce}"></script>` : html``;
  return shell(nonce, `${view.eyebrow ?? view.title} · Checkout`, body, head).value;
}

/** A page that only says something: unknown link (404), archived (410), an embed refused (403). */
export function renderMessagePage(nonce: string, heading: string, message: string): string {
  return shell(
    nonce,
    heading,
    html`<main aria-labelledby="title"><h1 id="title">${heading}</h1><p class="desc">${message}</p></main>`,
  ).value;
}

/**
 * The page's Content-Security-Policy: nothing but its own nonce-bearing script and style, calls to its
 * own origin, and (with Stripe) Stripe.js and its frames. Framing: the worker's own origin, plus the
 * embedding origin the creator allows.
 */
export function pageCsp(
  nonce: string,
  options: { parent: string | null; stripe: boolean; socket?: string | null; anyAncestor?: boolean },
): string {
  const stripe = options.stripe;
  // 'self' covers the same-origin WebSocket in current browsers; naming it keeps older ones working.
  const socket = options.socket ? ` ${options.socket}` : "";
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'${stripe ? ` ${STRIPE_JS.replace("/v3", "")}` : ""}`,
    `style-src 'nonce-${nonce}'`,
    `connect-src 'self'${socket}${stripe ? " https://api.stripe.com" : ""}`,
    `img-src 'self' data:${stripe ? " https://*.stripe.com" : ""}`,
    stripe ? "frame-src https://js.stripe.com https://hooks.stripe.com" : "",
    "base-uri 'none'",
    "form-action 'none'",
    // A page that sells anything frames only on 'self' and the allowed parent; a message page that
    // sells nothing (the refusal to embed) frames anywhere, so the buyer reads why instead of an error.
    options.anyAncestor
      ? "frame-ancestors *"
      : `frame-ancestors 'self'${options.parent === null ? "" : ` ${options.parent}`}`,
  ]
    .filter((d) => d !== "")
    .join("; ");
}
