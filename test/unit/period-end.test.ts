import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { periodEnd } from "../../src/entitlements/rules";

const at = (iso: string) => Date.parse(iso);

describe("periodEnd: one billing period in UTC", () => {
  it.each([
    ["2026-01-15T10:30:00.000Z", "month", "2026-02-15T10:30:00.000Z"],
    ["2026-01-31T23:59:59.000Z", "month", "2026-02-28T23:59:59.000Z"],
    ["2028-01-31T00:00:00.000Z", "month", "2028-02-29T00:00:00.000Z"],
    ["2026-12-31T12:00:00.000Z", "month", "2027-01-31T12:00:00.000Z"],
    ["2028-02-29T08:00:00.000Z", "year", "2029-02-28T08:00:00.000Z"],
    ["2026-03-31T00:00:00.000Z", "month", "2026-04-30T00:00:00.000Z"],
  ] as const)("%s plus a %s ends %s", (from, interval, end) => {
    expect(new Date(periodEnd(at(from), interval)).toISOString()).toBe(end);
  });

  it("always ends later, within 28 to 31 days for a month and 365 to 366 for a year", () => {
    const day = 86_400_000;
    fc.assert(
      fc.property(
        fc.integer({ min: at("2000-01-01T00:00:00Z"), max: at("2100-01-01T00:00:00Z") }),
        (from) => {
          const month = periodEnd(from, "month") - from;
          const year = periodEnd(from, "year") - from;
          return month >= 28 * day && month <= 31 * day && year >= 365 * day && year <= 366 * day;
        },
      ),
    );
  });
});
