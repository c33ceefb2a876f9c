/**
 * What the checkout page tells a buyer in the admission queue (clients/checkout-page/format.ts): the
 * place, who is ahead and the wait, computed from the broadcast `admitted_through` and the ticket's
 * position, so the page counts down without reading its ticket again.
 */
import { describe, expect, it } from "vitest";
import {
  type QueueBroadcast,
  type QueueTicket,
  queuePlace,
  queueStatusText,
  waitText,
} from "../../clients/checkout-page/format";
import { type CheckoutPageView, renderCheckoutPage } from "../../src/surfaces/checkout-page/page";

const ticket = (over: Partial<QueueTicket> = {}): QueueTicket => ({
  id: "qtk_test",
  status: "waiting",
  position: 120,
  ahead: 119,
  estimated_wait_seconds: 24,
  admission_token: null,
  admission_expires_at: null,
  ...over,
});
const broadcast = (over: Partial<QueueBroadcast> = {}): QueueBroadcast => ({
  state: "admitting",
  waiting: 500,
  admitted_through: 100,
  admit_per_second: 5,
  ...over,
});
const now = Date.parse("2026-12-01T18:00:00Z");

describe("the buyer's place in the queue", () => {
  it("counts who is ahead and the wait from the broadcast, not the ticket's older figures", () => {
    // Position 120 with 100 admitted: 19 ahead, 20 places to go at 5 a second.
    expect(queuePlace(ticket(), broadcast())).toEqual({ position: 120, ahead: 19, waitSeconds: 4 });
    expect(queueStatusText(ticket(), broadcast(), now)).toBe(
      "You're number 120 · 19 people ahead of you · about 4 s",
    );
  });

  it("uses the ticket's own figures before the start, and has no wait to promise while paused", () => {
    expect(queuePlace(ticket(), broadcast({ state: "gathering", admitted_through: 0 }))).toEqual({
      position: 120,
      ahead: 119,
      waitSeconds: 24,
    });
    expect(queuePlace(ticket(), broadcast({ state: "paused" }))?.waitSeconds).toBeNull();
    expect(queueStatusText(ticket({ position: 101 }), broadcast({ state: "paused" }), now)).toBe(
      "You're number 101 · 0 people ahead of you · paused while the last units are reserved",
    );
  });

  it("says the place is drawn at the start while the ticket has none", () => {
    expect(queuePlace(ticket({ position: null, ahead: null }), broadcast({ state: "gathering" }))).toBeNull();
    expect(queueStatusText(ticket({ position: null }), broadcast({ state: "gathering" }), now)).toMatch(
      /drawn when the drop starts/,
    );
  });

  it("counts the admitted buyer's window to reserve down to zero", () => {
    const admitted = ticket({
      status: "admitted",
      admission_token: "tok",
      admission_expires_at: "2026-12-01T18:01:30Z",
    });
    expect(queueStatusText(admitted, broadcast(), now)).toBe("It's your turn: reserve within 1:30.");
    expect(queueStatusText(admitted, broadcast(), now + 120_000)).toBe(
      "It's your turn: reserve within 0:00.",
    );
  });

  it.each([
    ["sold_out", /Sold out/],
    ["expired", /turn passed/],
    ["used", /reserved/],
  ] as const)("says what a %s ticket means", (status, text) => {
    expect(queueStatusText(ticket({ status }), broadcast(), now)).toMatch(text);
    expect(queuePlace(ticket({ status }), broadcast())).toBeNull();
  });

  it("invites joining before the start, and says sold out to a buyer who never joined", () => {
    expect(queueStatusText(null, broadcast({ state: "gathering", waiting: 1200 }), now)).toMatch(
      /drawn at random.* 1,200 waiting\.$/,
    );
    expect(queueStatusText(null, broadcast({ state: "sold_out" }), now)).toMatch(/^Sold out/);
  });

  it.each([
    [0.2, "about 1 s"],
    [44, "about 44 s"],
    [150, "about 3 min"],
  ])("reads a wait of %d s as %s", (seconds, text) => expect(waitText(seconds)).toBe(text));
});

describe("the queue panel in the page's HTML", () => {
  const view = (stock: CheckoutPageView["stock"]): CheckoutPageView => ({
    nonce: "n0nce",
    eyebrow: null,
    title: "Poster",
    description: null,
    price: null,
    stock,
    config: {
      link_id: "lnk_test",
      offer_id: "off_test",
      drop_id: stock === null ? null : "drp_test",
      quantity: 1,
      currency: null,
      coupon: null,
      source: "link",
      attribution: null,
      success_url: null,
      buyer_id: "3b1f0c9e-6c2a-4d4e-9a57-2f0c1e5d7b10",
      parent: null,
      stripe_key: null,
      stock: stock === null ? null : "stream",
    },
  });

  it("renders a drop's page with the panel hidden (its script shows it when the broadcast has a queue)", () => {
    const page = renderCheckoutPage(view({ available: 3, stock: 5, phase: "upcoming" }));
    expect(page).toMatch(/<section id="queue" class="card" aria-labelledby="queue-title" hidden>/);
    expect(page).toContain('<p id="queue-status" role="status" aria-live="polite"></p>');
    expect(page).toContain('<button id="join-queue" type="button">Join the queue</button>');
  });

  it("renders no panel for an offer sold without a drop", () => {
    expect(renderCheckoutPage(view(null))).not.toContain('id="queue"');
  });
});
