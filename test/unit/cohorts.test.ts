import { describe, expect, it } from "vitest";
import { type CohortRules, cohortFor } from "../../src/members/cohorts";

const rules = (over: Partial<CohortRules> = {}): CohortRules => ({
  foundingUntil: null,
  defaultCohort: "utility",
  popUpCohort: null,
  ...over,
});

describe("cohortFor", () => {
  it.each([
    ["no rules, online", rules(), 0, false, "utility"],
    ["no rules, pop-up", rules(), 0, true, "utility"],
    ["pop-up cohort set, pop-up", rules({ popUpCohort: "seasonal" }), 0, true, "seasonal"],
    ["pop-up cohort set, online", rules({ popUpCohort: "seasonal" }), 0, false, "utility"],
    [
      "before the founding cutoff",
      rules({ foundingUntil: 10, popUpCohort: "seasonal" }),
      9,
      true,
      "founding",
    ],
    ["at the founding cutoff", rules({ foundingUntil: 10 }), 10, false, "utility"],
    ["another default", rules({ defaultCohort: "seasonal" }), 0, false, "seasonal"],
  ] as const)("%s", (_name, r, at, atPopUp, expected) => {
    expect(cohortFor(r, { at, atPopUp })).toBe(expected);
  });
});
