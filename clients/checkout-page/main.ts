/**
 * The hosted checkout page's script (/l/{id}): quote, hold, pay, success. Same-origin calls to the public
 * API through the typed client; no cookies (a Buyer-Id per tab in sessionStorage, or in memory). When
 * embedded, it speaks the postMessage contract of src/contract/embed.ts with exactly one origin.
 */
import { EMBED_PROTOCOL, type HostMessage, type PageMessage } from "../../src/contract/embed";
import { createApiClient, type Schemas } from "../api/index";
import type { PageConfig } from "./config";
import { formatMoney, lineLabel, type StockFigures, stockText } from "./format";
import { followStock, holdCountdown } from "./live";
import { queueGate } from "./queue";

type Quote = Schemas["Quote"];
type Checkout = Schemas["CheckoutWithEntitlement"];
type Problem = { detail?: string; title?: string; type?: string; errors?: { path: string }[] };

/** A quote this close to its expiry is replaced before a checkout uses it. */
const QUOTE_MARGIN_MS = 15_000;

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T | null;
const cfg = JSON.parse($("cc-config")?.textContent ?? "{}") as PageConfig;
const api = createApiClient(location.origin);
const embedded = cfg.parent !== null && window.parent !== window;

const buyerId = (() => {
  try {
    const kept = sessionStorage.getItem("cc-buyer-id");
    if (kept !== null && /^[A-Za-z0-9_-]{8,128}$/.test(kept)) return kept;
    sessionStorage.setItem("cc-buyer-id", cfg.buyer_id);
  } catch {
    // storage blocked (a third-party frame with storage partitioning off): memory only
  }
  return cfg.buyer_id;
})();

/** A page message without the fields every message carries. */
type Outgoing<M = PageMessage> = M extends PageMessage ? Omit<M, "protocol" | "link_id"> : never;

function post(message: Outgoing) {
  if (!embedded || cfg.parent === null) return;
  window.parent.postMessage({ ...message, protocol: EMBED_PROTOCOL, link_id: cfg.link_id }, cfg.parent);
}

const errorBox = $("error");
function showError(text: string) {
  if (errorBox) errorBox.textContent = text;
}
const clearError = () => showError("");
const problemText = (p: Problem | undefined, fallback: string) => p?.detail ?? p?.title ?? fallback;

function busy(button: HTMLButtonElement | null, on: boolean) {
  if (!button) return;
  button.disabled = on;
  button.setAttribute("aria-busy", String(on));
}

// ---- price and quote ----

let quote: Quote | undefined;

function showPrice(q: Quote) {
  const lines = $("lines");
  if (lines) {
    lines.replaceChildren(
      ...q.lines.map((line) => {
        const row = document.createElement("div");
        const dt = document.createElement("dt");
        const dd = document.createElement("dd");
        dt.textContent = lineLabel(line);
        dd.textContent = formatMoney(line.amount, q.currency);
        row.append(dt, dd);
        return row;
      }),
    );
  }
  const total = formatMoney(q.total, q.currency);
  const totalEl = $("total");
  if (totalEl) totalEl.textContent = total;
  const payAmount = $("pay-amount");
  if (payAmount) payAmount.textContent = ` ${total}`;
}

async function freshQuote(): Promise<Quote | undefined> {
  if (quote && Date.parse(quote.expires_at) - Date.now() > QUOTE_MARGIN_MS) return quote;
  const { data, error } = await api.POST("/v1/quotes", {
    params: { header: { "buyer-id": buyerId } },
    body: {
      offer_id: cfg.offer_id,
      quantity: cfg.quantity,
      ...(cfg.drop_id ? { drop_id: cfg.drop_id } : {}),
      ...(cfg.currency ? { currency: cfg.currency } : {}),
      ...(cfg.coupon ? { coupon: cfg.coupon } : {}),
      source: cfg.source,
    },
  });
  if (!data) {
    showError(problemText(error as Problem, "This offer cannot be priced right now."));
    return undefined;
  }
  quote = data;
  showPrice(data);
  return data;
}

// ---- stock and the hold countdown (live.ts) ----

function showStock(s: StockFigures) {
  gate?.update(s.queue);
  const el = $("stock-text");
  const text = stockText(s);
  // Only a change is written, so the polite live region speaks only when the figure moves.
  if (el && el.textContent !== text) el.textContent = text;
}

const countdown = holdCountdown();
const startCountdown = (expiresAt: string | null) => {
  const [visible, live] = [$("countdown-visible"), $("countdown-live")];
  if (expiresAt !== null && visible && live) countdown.start(Date.parse(expiresAt), visible, live);
};

// ---- checkout ----

let checkout: { id: string; secret: string; client_secret: string | null } | undefined;
let email = "";

async function createCheckout(paymentMethod?: string): Promise<Checkout | undefined> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const q = await freshQuote();
    if (!q) return undefined;
    // While the drop's queue is on, the hold needs the admission the queue gave this buyer.
    const admission = gate?.token() ?? null;
    const { data, error, response } = await api.POST("/v1/checkouts", {
      params: {
        header: {
          "idempotency-key": crypto.randomUUID(),
          "buyer-id": buyerId,
          ...(admission === null ? {} : { "admission-token": admission }),
        },
      },
      body: {
        quote: q.token,
        email,
        source: cfg.source,
        ...(cfg.attribution ? { attribution: cfg.attribution } : {}),
        ...(paymentMethod ? { payment_method: paymentMethod, return_url: location.href } : {}),
      },
    });
    if (data) {
      // A quote serves one checkout: the next attempt (after a decline) asks for a new one.
      quote = undefined;
      gate?.reserved();
      checkout = { id: data.id, secret: data.secret, client_secret: data.payment.client_secret };
      return data;
    }
    // The quote lapsed between our check and the server's: ask again once.
    if (response.status === 410) {
      quote = undefined;
      continue;
    }
    const problem = error as Problem | undefined;
    if (problem?.type?.endsWith("/admission-required") && gate) {
      gate.refused();
      showError("This drop has a queue: join it, and reserve when it's your turn.");
      return undefined;
    }
    // A physical good needs a delivery address, which this page does not collect yet: say so plainly.
    if (problem?.errors?.some((e) => e.path === "/shipping_address")) {
      showError(
        "This item is posted to you, and this page cannot take a delivery address yet. " +
          "Please buy it where the creator sells it with delivery.",
      );
      return undefined;
    }
    showError(problemText(problem, "The checkout could not start. Try again."));
    return undefined;
  }
  return undefined;
}

function held(c: Checkout) {
  // Nothing is reserved for an offer sold without a drop: no countdown to show.
  const countdown = $("hold-countdown");
  if (countdown) countdown.hidden = !c.hold;
  if (!c.hold) return;
  startCountdown(c.hold.expires_at);
  post({ type: "hold_created", checkout_id: c.id, expires_at: c.hold.expires_at });
}

const emailForm = $<HTMLFormElement>("step-email");
const payForm = $<HTMLFormElement>("step-pay");

// The admission queue (queue.ts) holds the reserve step back while the drop's queue is on.
const gate = cfg.drop_id
  ? queueGate({
      api,
      dropId: cfg.drop_id,
      buyerId,
      showReserve(on) {
        if (!emailForm || checkout) return;
        const was = emailForm.hidden;
        // Focus in the step the queue takes away would be lost: it moves to the queue's button.
        const focused = !on && emailForm.contains(document.activeElement);
        emailForm.hidden = !on;
        if (focused) $("join-queue")?.focus();
        // Admitted: the buyer's turn, so the email field takes the focus.
        if (on && was) $("email")?.focus();
      },
    })
  : null;

emailForm?.addEventListener("submit", async (e) => {
  e.preventDefault();
  clearError();
  const input = $<HTMLInputElement>("email");
  if (!input?.checkValidity() || input.value.trim() === "") {
    input?.setAttribute("aria-invalid", "true");
    showError("Enter a valid email address.");
    input?.focus();
    return;
  }
  input.removeAttribute("aria-invalid");
  email = input.value.trim();
  const button = $<HTMLButtonElement>("continue");
  busy(button, true);
  const c = await createCheckout();
  busy(button, false);
  if (!c) return;
  held(c);
  emailForm.hidden = true;
  if (payForm) payForm.hidden = false;
  if (cfg.stripe_key !== null) await mountStripe();
  else $("card-number")?.focus();
});

// ---- sandbox card form ----

let declined = false;

async function paySandbox() {
  const number = $<HTMLInputElement>("card-number")?.value.replace(/[\s-]/g, "") ?? "";
  const expiry = $<HTMLInputElement>("card-expiry")?.value.trim() ?? "";
  const cvc = $<HTMLInputElement>("card-cvc")?.value.trim() ?? "";
  const problems = [
    [/^\d{12,19}$/.test(number), "card-number", "Enter the card number."],
    [/^(0[1-9]|1[0-2])\s*\/\s*\d{2}$/.test(expiry), "card-expiry", "Enter the expiry as MM/YY."],
    [/^\d{3,4}$/.test(cvc), "card-cvc", "Enter the 3 or 4 digit CVC."],
  ] as const;
  for (const [ok, id] of problems) $(id)?.setAttribute("aria-invalid", String(!ok));
  const first = problems.find(([ok]) => !ok);
  if (first) {
    showError(first[2]);
    $(first[1])?.focus();
    return;
  }
  let result: Checkout | undefined;
  if (checkout && !declined) {
    result = await confirm(number);
  } else {
    // A decline released the hold: the next card starts a fresh checkout, so it holds units again.
    result = await createCheckout(number);
    if (result) held(result);
  }
  if (result) settle(result);
}

async function confirm(paymentMethod?: string): Promise<Checkout | undefined> {
  if (!checkout) return undefined;
  const { data, error } = await api.POST("/v1/checkouts/{id}/confirm", {
    params: { path: { id: checkout.id }, header: { "checkout-secret": checkout.secret } },
    body: paymentMethod ? { payment_method: paymentMethod } : {},
  });
  if (!data) showError(problemText(error as Problem, "The payment could not be confirmed. Try again."));
  return data;
}

function settle(c: Checkout) {
  if (c.status === "paid") return succeed(c);
  if (c.status === "requires_action") return authenticate(c);
  if (c.status === "failed" || c.status === "expired") {
    declined = true;
    showError(c.failure?.message ?? "The payment was declined. Try another card.");
    const card = $<HTMLInputElement>("card-number");
    card?.select();
    card?.focus();
    return;
  }
  showError("The payment is still processing.");
}

function authenticate(c: Checkout) {
  post({ type: "requires_action", checkout_id: c.id });
  const dialog = $<HTMLDialogElement>("authenticate");
  if (!dialog) return;
  if (typeof dialog.showModal === "function") dialog.showModal();
  else dialog.setAttribute("open", "");
  $("approve-3ds")?.focus();
}

function closeDialog() {
  const dialog = $<HTMLDialogElement>("authenticate");
  if (dialog?.open) dialog.close();
}

$("approve-3ds")?.addEventListener("click", async () => {
  const button = $<HTMLButtonElement>("approve-3ds");
  busy(button, true);
  const result = await confirm();
  busy(button, false);
  closeDialog();
  if (result) settle(result);
  else $("pay")?.focus();
});

$("cancel-3ds")?.addEventListener("click", () => {
  closeDialog();
  showError("Authentication was cancelled. Pay again to retry.");
  $("pay")?.focus();
});

payForm?.addEventListener("submit", async (e) => {
  e.preventDefault();
  clearError();
  const button = $<HTMLButtonElement>("pay");
  busy(button, true);
  try {
    if (cfg.stripe_key !== null) await payStripe();
    else await paySandbox();
  } finally {
    busy(button, false);
  }
});

// ---- Stripe's Payment Element (Stripe.js, loaded by the page only when Stripe is configured) ----

interface StripeLike {
  elements(o: { clientSecret: string }): { create(t: "payment"): { mount(sel: string): void } };
  confirmPayment(o: {
    elements: unknown;
    redirect: "if_required";
    confirmParams: { return_url: string };
  }): Promise<{ error?: { message?: string } }>;
}
let stripe: StripeLike | undefined;
let elements: ReturnType<StripeLike["elements"]> | undefined;

async function mountStripe() {
  const factory = (window as unknown as { Stripe?: (key: string) => StripeLike }).Stripe;
  if (!factory || cfg.stripe_key === null || !checkout?.client_secret) {
    showError("Payments could not load. Reload the page to try again.");
    return;
  }
  stripe = factory(cfg.stripe_key);
  elements = stripe.elements({ clientSecret: checkout.client_secret });
  elements.create("payment").mount("#payment-element");
}

async function payStripe() {
  if (!stripe || !elements || !checkout) return;
  const { error } = await stripe.confirmPayment({
    elements,
    redirect: "if_required",
    confirmParams: { return_url: location.href },
  });
  if (error) {
    showError(error.message ?? "The payment was declined. Try another card.");
    return;
  }
  // The payment succeeded at Stripe: ask the worker to settle, then read until it says paid.
  let c = await confirm();
  for (let i = 0; i < 30 && c?.status !== "paid"; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const { data } = await api.GET("/v1/checkouts/{id}", {
      params: { path: { id: checkout.id }, header: { "checkout-secret": checkout.secret } },
    });
    c = data;
  }
  if (c?.status === "paid") succeed(c);
  else showError("Your payment is being processed; your receipt will arrive by email.");
}

// ---- success ----

function succeed(c: Checkout) {
  countdown.stop();
  if (payForm) payForm.hidden = true;
  const hold = $("hold-countdown");
  if (hold) hold.hidden = true;
  clearError();
  const token = c.entitlement?.token ?? "";
  const expires = c.entitlement?.expires_at ?? "";
  const set = (id: string, text: string) => {
    const el = $(id);
    if (el) el.textContent = text;
  };
  set("order-id", c.order_id);
  set("entitlement-token", token);
  set("entitlement-expires", expires);
  $("entitlement-expires")?.setAttribute("datetime", expires);
  const success = $("success");
  if (success) {
    success.hidden = false;
    success.focus();
  }
  post({
    type: "success",
    checkout_id: c.id,
    order_id: c.order_id,
    token,
    expires_at: expires,
    redirect_url: cfg.success_url,
  });
}

// ---- embedding: close control, host messages ----

function close() {
  post({ type: "close" });
}

if (embedded) {
  $("close")?.addEventListener("click", close);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !$<HTMLDialogElement>("authenticate")?.open) close();
  });
  window.addEventListener("message", (e: MessageEvent) => {
    if (e.origin !== cfg.parent || e.source !== window.parent) return;
    const m = e.data as Partial<HostMessage> | null;
    if (m?.protocol === EMBED_PROTOCOL && m.type === "close") close();
  });
}

// ---- start ----

if (cfg.drop_id) {
  followStock({
    api,
    dropId: cfg.drop_id,
    viewer: buyerId,
    stream: cfg.stock === "stream",
    show: showStock,
  });
}
post({ type: "loaded" });
// Every control is wired: the buyer can act (bench/page-tti.mjs measures to this mark).
performance.mark("cc:interactive");
freshQuote();
