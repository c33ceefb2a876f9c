import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  boundary,
  type Interval,
  isValidInterval,
  monthlyAmount,
  namedIntervals,
  periodAt,
} from "../../src/subscriptions/intervals";

const DAY = 24 * 3600_000;
const anchors = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) });
const intervals: fc.Arbitrary<Interval> = fc.oneof(
  fc.record({ unit: fc.constant("week" as const), count: fc.integer({ min: 1, max: 52 }) }),
  fc.record({ unit: fc.constant("month" as const), count: fc.integer({ min: 1, max: 12 }) }),
  fc.constant({ unit: "year" as const, count: 1 }),
);

describe("billing intervals", () => {
  it("boundaries only grow, and a month clamps to the month's last day without drifting", () => {
    fc.assert(
      fc.property(anchors, intervals, fc.integer({ min: 0, max: 60 }), (anchor, interval, n) => {
        const start = boundary(anchor, interval, n);
        const end = boundary(anchor, interval, n + 1);
        expect(end).toBeGreaterThan(start);
        if (interval.unit !== "week") {
          const a = new Date(anchor);
          const b = new Date(start);
          const lastDay = new Date(Date.UTC(b.getUTCFullYear(), b.getUTCMonth() + 1, 0)).getUTCDate();
          expect(b.getUTCDate()).toBe(Math.min(a.getUTCDate(), lastDay));
          expect(b.getUTCHours()).toBe(a.getUTCHours());
        } else {
          expect(end - start).toBe(interval.count * 7 * DAY);
        }
      }),
    );
  });

  it("31 January renews on the last day of February, then on 31 March (counted from the anchor)", () => {
    const anchor = Date.UTC(2027, 0, 31, 9, 30);
    const month = namedIntervals.month;
    expect(new Date(boundary(anchor, month, 1)).toISOString()).toBe("2027-02-28T09:30:00.000Z");
    expect(new Date(boundary(anchor, month, 2)).toISOString()).toBe("2027-03-31T09:30:00.000Z");
    expect(boundary(anchor, month, 12)).toBe(boundary(anchor, namedIntervals.year, 1));
    expect(boundary(anchor, namedIntervals.fortnight, 1) - anchor).toBe(14 * DAY);
  });

  it("finds the one period that contains any moment", () => {
    fc.assert(
      fc.property(
        anchors,
        intervals,
        fc.integer({ min: 0, max: 5 * 366 * DAY }),
        (anchor, interval, offset) => {
          const at = anchor + offset;
          const p = periodAt(anchor, interval, at);
          expect(p.start).toBeLessThanOrEqual(at);
          expect(p.end).toBeGreaterThan(at);
          expect(p.start).toBe(boundary(anchor, interval, p.index));
          expect(p.end).toBe(boundary(anchor, interval, p.index + 1));
        },
      ),
    );
  });

  it("normalises prices to monthly revenue as Stripe and ChartMogul do", () => {
    expect(monthlyAmount(300, namedIntervals.week)).toBe(1300);
    expect(monthlyAmount(600, namedIntervals.fortnight)).toBe(1300);
    expect(monthlyAmount(900, namedIntervals.month)).toBe(900);
    expect(monthlyAmount(12000, namedIntervals.year)).toBe(1000);
    expect(monthlyAmount(2700, { unit: "month", count: 3 })).toBe(900);
  });

  it("bills whole counts from one interval up to a year, nothing else", () => {
    expect(isValidInterval({ unit: "week", count: 4 })).toBe(true);
    expect(isValidInterval({ unit: "week", count: 53 })).toBe(false);
    expect(isValidInterval({ unit: "month", count: 0 })).toBe(false);
    expect(isValidInterval({ unit: "month", count: 1.5 })).toBe(false);
    expect(isValidInterval({ unit: "year", count: 2 })).toBe(false);
  });
});
