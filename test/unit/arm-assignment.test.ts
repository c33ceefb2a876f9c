import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assignArm, type WeightedArm } from "../../src/pricing/assign";

const armsOf = (...weights: number[]): WeightedArm[] =>
  weights.map((weight, i) => ({ key: `arm${i}`, weight }));
const sequentialKeys = Array.from({ length: 10_000 }, (_, i) => `anon:${i}`);
const uuidKeys = Array.from({ length: 10_000 }, () => `anon:${crypto.randomUUID()}`);

/** Share of `keys` each arm receives, in arm order. */
function shares(experimentId: string, keys: readonly string[], arms: readonly WeightedArm[]): number[] {
  const counts = new Map(arms.map((arm) => [arm.key, 0]));
  for (const key of keys) {
    const arm = assignArm(experimentId, key, arms);
    counts.set(arm.key, (counts.get(arm.key) ?? 0) + 1);
  }
  return arms.map((arm) => (counts.get(arm.key) ?? 0) / keys.length);
}

describe("assignArm", () => {
  it("gives a key the same arm every time", () => {
    const arms = armsOf(1, 1, 1);
    const keys = sequentialKeys.slice(0, 1000);
    const first = keys.map((key) => assignArm("exp_stable", key, arms).key);
    const second = keys.map((key) => assignArm("exp_stable", key, arms).key);
    expect(second).toEqual(first);
    // Not trivially stable: the keys do spread over every arm.
    expect(new Set(first).size).toBe(3);
  });

  // 10,000 draws put one standard deviation of a share at 0.5 points at most, so 2 points is 4 sigma.
  describe.each([
    ["50/50", armsOf(50, 50)],
    ["90/10", armsOf(90, 10)],
    ["1/1/1", armsOf(1, 1, 1)],
  ])("with weights %s", (_name, arms) => {
    const total = arms.reduce((sum, arm) => sum + arm.weight, 0);
    const expected = arms.map((arm) => arm.weight / total);

    it.each([
      ["sequential keys", sequentialKeys],
      ["random UUID keys", uuidKeys],
    ])("gives each arm its weight's share, within 2 points, over 10,000 %s", (_keys, keys) => {
      const actual = shares("exp_split", keys, arms);
      actual.forEach((share, i) => {
        expect(Math.abs(share - (expected[i] ?? 0)), `arm ${i}: ${share}`).toBeLessThanOrEqual(0.02);
      });
    });
  });

  it.each([
    ["50/50 and 50/50", armsOf(1, 1), armsOf(1, 1)],
    ["1/1/1 and 90/10", armsOf(1, 1, 1), armsOf(90, 10)],
  ])("splits two experiments independently (%s): the joint shares are the products", (_n, armsA, armsB) => {
    const weightShare = (arms: WeightedArm[], i: number) =>
      (arms[i]?.weight ?? 0) / arms.reduce((sum, arm) => sum + arm.weight, 0);
    const joint = new Map<string, number>();
    for (const key of sequentialKeys) {
      const pair = `${assignArm("exp_A", key, armsA).key}|${assignArm("exp_B", key, armsB).key}`;
      joint.set(pair, (joint.get(pair) ?? 0) + 1);
    }
    armsA.forEach((a, i) => {
      armsB.forEach((b, j) => {
        const share = (joint.get(`${a.key}|${b.key}`) ?? 0) / sequentialKeys.length;
        const product = weightShare(armsA, i) * weightShare(armsB, j);
        expect(Math.abs(share - product), `${a.key} in A, ${b.key} in B`).toBeLessThanOrEqual(0.02);
      });
    });
  });

  it("always returns one of the arms, never one without weight, and the same one for the same input", () => {
    const arms = fc
      .array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 10 })
      .filter((weights) => weights.some((w) => w > 0))
      .map((weights) => weights.map((weight, i) => ({ key: `arm${i}`, weight })));
    fc.assert(
      fc.property(fc.string(), fc.string(), arms, (experimentId, buyerKey, candidates) => {
        const arm = assignArm(experimentId, buyerKey, candidates);
        expect(candidates).toContain(arm);
        expect(arm.weight).toBeGreaterThan(0);
        expect(assignArm(experimentId, buyerKey, candidates)).toBe(arm);
      }),
      { numRuns: 2000 },
    );
  });
});
