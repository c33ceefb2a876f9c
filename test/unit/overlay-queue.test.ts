/**
 * What the overlay says about the admission queue (clients/overlay/format.ts), and how the queue rides
 * the overlay's seq-ordered state (clients/overlay/state.ts): pure, DOM-free.
 */
import { describe, expect, it } from "vitest";
import {
  QUEUE_SOLD_OUT,
  type QueueFigures,
  queueOf,
  queueText,
  statusText,
} from "../../clients/overlay/format";
import { applyFigures, type Figures, type OverlayState } from "../../clients/overlay/state";
import type { Drop } from "../../src/drops/schemas";
import type { OverlayView } from "../../src/overlay/verbs";
import { overlayPage } from "../../src/surfaces/overlay/page";

const queue = (over: Partial<QueueFigures> = {}): QueueFigures => ({
  state: "admitting",
  waiting: 1234,
  admitted_through: 40,
  admit_per_second: 5,
  ...over,
});

describe("the overlay's queue line", () => {
  it("says how many wait, the rate and the last place admitted while admitting", () => {
    expect(queueText(queue())).toBe("Queue: 1,234 waiting · admitting 5/s · admitted through #40");
  });

  it("names no place before anyone is admitted, and none while gathering (places are drawn at the start)", () => {
    expect(queueText(queue({ admitted_through: 0 }))).toBe("Queue: 1,234 waiting · admitting 5/s");
    expect(queueText(queue({ state: "gathering", admitted_through: 0, waiting: 7 }))).toBe(
      "Queue: 7 waiting · places drawn fairly at the start",
    );
  });

  it("says paused while the last units are spoken for", () => {
    expect(queueText(queue({ state: "paused" }))).toMatch(/^Queue: 1,234 waiting · paused/);
  });

  it("moves sold out to the status line, once, saying everyone waiting was told", () => {
    const soldOut = queue({ state: "sold_out", waiting: 0 });
    expect(queueText(soldOut)).toBe("");
    // The queue's sold out wins even while units are still held (available 0 or not).
    expect(statusText(3, "live", soldOut)).toBe(QUEUE_SOLD_OUT);
    expect(QUEUE_SOLD_OUT).toBe("Sold out — everyone still waiting has been told");
    expect(statusText(0, "live", null)).toBe("Sold out");
    expect(statusText(3, "live", queue())).toBe("");
  });

  it.each([
    ["absent", undefined],
    ["off", null],
    ["an unknown state", { ...queue(), state: "open" }],
    ["a count that is not a number", { ...queue(), waiting: "12" }],
    ["a non-finite count", { ...queue(), admitted_through: Number.POSITIVE_INFINITY }],
  ])("shows no queue line for a queue that is %s", (_, value) => {
    expect(queueOf(value)).toBeNull();
    expect(queueText(queueOf(value))).toBe("");
  });
});

describe("the queue in the overlay's state", () => {
  const start: OverlayState = {
    seq: 10,
    stock: 100,
    available: 90,
    held: 5,
    sold: 5,
    phase: "live",
    queue: null,
  };
  const figures = (over: Partial<Figures>): Figures => ({
    seq: 11,
    stock: 100,
    available: 90,
    held: 5,
    sold: 5,
    phase: "live",
    ...over,
  });

  it("takes the queue from newer figures, and a cached older poll cannot move the line back", () => {
    const ahead = applyFigures(start, figures({ seq: 12, queue: queue({ admitted_through: 60 }) }));
    expect(ahead.state.queue).toEqual(queue({ admitted_through: 60 }));
    const stale = applyFigures(ahead.state, figures({ seq: 11, queue: queue({ admitted_through: 20 }) }));
    expect(stale.applied).toBe(false);
    expect(stale.state.queue?.admitted_through).toBe(60);
  });

  it("drops the queue when figures say it is off (or predate it)", () => {
    const on = applyFigures(start, figures({ queue: queue() })).state;
    expect(applyFigures(on, figures({ seq: 12, queue: null })).state.queue).toBeNull();
    expect(applyFigures(on, figures({ seq: 13 })).state.queue).toBeNull();
  });
});

describe("the queue line in the overlay's first paint", () => {
  const view = (q: QueueFigures | null): OverlayView => ({
    drop: { id: "drp_test", title: "Poster", starts_at: "2026-12-01T18:00:00Z", ends_at: null } as Drop,
    stock: {
      object: "stock",
      drop_id: "drp_test",
      stock: 40,
      available: 40,
      held: 0,
      sold: 0,
      phase: "live",
      seq: 7,
      holds_total: 0,
      releases_total: 0,
      as_of: "2026-12-01T18:00:01Z",
      queue: q,
    } as OverlayView["stock"],
    linkUrl: null,
    now: Date.parse("2026-12-01T18:00:01Z"),
  });

  it("renders the line and its figures before the script runs, and hands the queue to the script", () => {
    const page = String(
      overlayPage(view(queue({ admitted_through: 12, waiting: 300, admit_per_second: 3 }))),
    );
    expect(page).toContain(
      '<div id="queue" data-state="admitting" data-waiting="300" data-admitted-through="12">Queue: 300 waiting · admitting 3/s · admitted through #12</div>',
    );
    expect(page).toContain('"queue":{"state":"admitting"');
  });

  it("renders the line hidden while the queue is off, and sold out on the status line", () => {
    expect(String(overlayPage(view(null)))).toContain(
      '<div id="queue" data-state="off" data-waiting="0" data-admitted-through="0" hidden></div>',
    );
    const soldOut = String(overlayPage(view(queue({ state: "sold_out" }))));
    expect(soldOut).toContain(`<div id="status">${QUEUE_SOLD_OUT}</div>`);
    expect(soldOut).toMatch(/<div id="queue" data-state="sold_out"[^>]* hidden><\/div>/);
  });
});
