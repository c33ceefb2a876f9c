import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countdownText, duration, phaseNow, stockStatus, tickerText } from "../../clients/overlay/format";
import {
  applyFigures,
  backoffMs,
  type Figures,
  isFigures,
  type OverlayState,
} from "../../clients/overlay/state";

const start: OverlayState = { seq: 10, stock: 100, available: 90, held: 5, sold: 5, phase: "live" };
const figures = (over: Partial<Figures>): Figures => ({
  seq: 11,
  stock: 100,
  available: 88,
  held: 6,
  sold: 6,
  phase: "live",
  ...over,
});

describe("applying figures by seq", () => {
  it("applies newer figures and counts the message's own sales for the ticker", () => {
    const result = applyFigures(start, figures({ prev_seq: 10, sales: 1 }));
    expect(result).toMatchObject({ applied: true, justBought: 1, state: { seq: 11, available: 88 } });
  });

  it.each([
    ["an older seq (a cached poll behind the stream)", 9],
    ["the same seq (a resume overlap)", 10],
  ])("never applies %s", (_, seq) => {
    const result = applyFigures(start, figures({ seq, available: 0 }));
    expect(result).toEqual({ state: start, applied: false, justBought: 0 });
  });

  it("counts the rise in sold after a gap, which a missed message cannot hide", () => {
    const result = applyFigures(start, figures({ seq: 20, prev_seq: 15, sales: 1, sold: 9 }));
    expect(result.justBought).toBe(4);
  });

  it("shows no ticker for the first figures, nor for a restock that lowers sold", () => {
    expect(applyFigures({ ...start, seq: -1 }, figures({ sold: 50 })).justBought).toBe(0);
    expect(applyFigures(start, figures({ sold: 2 })).justBought).toBe(0);
  });

  it("holds the highest seq whatever order figures arrive in (any mix of transports)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 40 }), (arrivals) => {
        let state: OverlayState = { ...start, seq: -1 };
        const applied: number[] = [];
        for (const seq of arrivals) {
          const result = applyFigures(state, figures({ seq, available: seq }));
          if (result.applied) applied.push(seq);
          state = result.state;
        }
        expect(state.seq).toBe(arrivals.length === 0 ? -1 : Math.max(...arrivals));
        expect(state.available).toBe(arrivals.length === 0 ? start.available : Math.max(...arrivals));
        for (let i = 1; i < applied.length; i++) expect(applied[i]).toBeGreaterThan(applied[i - 1] ?? -1);
      }),
    );
  });

  it("recognises figures from every transport and nothing else", () => {
    expect(isFigures(figures({}))).toBe(true);
    expect(isFigures({ object: "stock", ...figures({}), as_of: "x" })).toBe(true);
    expect(isFigures({ ...figures({}), seq: "11" })).toBe(false);
    expect(isFigures({ type: "pong" })).toBe(false);
    expect(isFigures(null)).toBe(false);
  });
});

describe("what the overlay says", () => {
  const now = Date.parse("2026-12-01T18:00:00Z");
  const times = { starts_at: "2026-12-01T18:30:00Z", ends_at: "2026-12-01T20:00:00Z" };

  it("counts down to the start while upcoming, then to the end while live", () => {
    expect(countdownText("upcoming", times, now)).toBe("Starts in 30:00");
    expect(countdownText("upcoming", times, now + 30 * 60_000)).toBe("Ends in 1:30:00");
    expect(countdownText("live", { ...times, ends_at: null }, now + 31 * 60_000)).toBe("Live now");
    expect(countdownText("live", times, Date.parse(times.ends_at))).toBe("Ended");
    expect(countdownText("closed", times, now)).toBe("Closed");
  });

  it("follows the clock, not a stale phase, except that closed stays closed", () => {
    expect(phaseNow("upcoming", times, Date.parse(times.starts_at))).toBe("live");
    expect(phaseNow("closed", times, now)).toBe("closed");
  });

  it.each([
    [0, "00:00"],
    [-5000, "00:00"],
    [61_000, "01:01"],
    [3_600_000, "1:00:00"],
    [90_061_000, "1d 01:01:01"],
  ])("formats %d ms as %s", (ms, text) => expect(duration(ms)).toBe(text));

  it("says how many just bought, and sold out only while selling", () => {
    expect(tickerText(2)).toBe("2 just bought");
    expect(stockStatus(0, "live")).toBe("Sold out");
    expect(stockStatus(0, "ended")).toBe("");
    expect(stockStatus(3, "live")).toBe("");
  });

  it("spreads reconnects: backoff doubles to a 15 s cap with jitter", () => {
    expect(backoffMs(0, 0)).toBe(500);
    expect(backoffMs(3, 0)).toBe(4000);
    expect(backoffMs(10, 0)).toBe(15_000);
    expect(backoffMs(10, 1)).toBe(19_500);
  });
});
