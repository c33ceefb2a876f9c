import { describe, expect, it } from "vitest";
import { dropPhase, dropWindowErrors } from "../../src/drops/rules";

const start = Date.UTC(2026, 11, 1, 18);
const end = start + 3_600_000;

describe("drop phase", () => {
  it.each([
    ["before the start", { state: "open" as const, startsAt: start, endsAt: end }, start - 1, "upcoming"],
    ["at the start", { state: "open" as const, startsAt: start, endsAt: end }, start, "live"],
    ["at the end", { state: "open" as const, startsAt: start, endsAt: end }, end, "ended"],
    ["with no end, long after", { state: "open" as const, startsAt: start, endsAt: null }, end * 2, "live"],
    [
      "closed early, even before the start",
      { state: "closed" as const, startsAt: start, endsAt: end },
      start - 1,
      "closed",
    ],
  ])("is right %s", (_name, drop, now, phase) => {
    expect(dropPhase(drop, now)).toBe(phase);
  });

  it("requires the end to follow the start", () => {
    expect(dropWindowErrors({ startsAt: start, endsAt: start })).toHaveLength(1);
    expect(dropWindowErrors({ startsAt: start, endsAt: null })).toEqual([]);
  });
});
