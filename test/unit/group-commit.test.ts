import { afterEach, describe, expect, it, vi } from "vitest";
import {
  type Batch,
  expectedWaitMs,
  GroupCommit,
  MIN_SAMPLE_BATCH,
  observeBatch,
} from "../../src/inventory/group-commit";

describe("the group commit's service rate", () => {
  it("samples only batches large enough for the per-call part to dominate, smoothed", () => {
    expect(observeBatch(null, MIN_SAMPLE_BATCH - 1, 50)).toBeNull();
    expect(observeBatch(null, 100, 50)).toBe(0.5);
    expect(observeBatch(0.5, 100, 150)).toBeCloseTo(0.7);
    expect(observeBatch(0.5, 1, 500)).toBe(0.5);
  });

  it("expects what is left of the batch in flight, then a batch of the queue and the newcomer", () => {
    expect(expectedWaitMs(null, 1000, null, 0)).toBeNull();
    expect(expectedWaitMs(0.5, 99, null, 0)).toBe(50);
    // 200 calls in flight for 60 ms of their expected 100: 40 left, then 50 for the next batch.
    expect(expectedWaitMs(0.5, 99, { size: 200, startedAt: 1000 }, 1060)).toBe(90);
    expect(expectedWaitMs(0.5, 99, { size: 200, startedAt: 1000 }, 5000)).toBe(50);
  });
});

describe("GroupCommit load shedding", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A batch whose commits finish only when the test says, at the fake time it sets. */
  function controlled() {
    const commits: (() => void)[] = [];
    const applied: number[][] = [];
    const batch: Batch<number, string> = {
      apply: (calls) => {
        applied.push(calls);
        return calls.map((c) => `ok:${c}`);
      },
      durable: () => new Promise<void>((resolve) => commits.push(resolve)),
      failed: () => {},
      overloaded: "overloaded",
    };
    const finish = async (at: number) => {
      vi.setSystemTime(at);
      commits.shift()?.();
      // Let the drain loop take its next batch.
      for (let i = 0; i < 5; i++) await Promise.resolve();
    };
    return { batch, applied, finish };
  }

  it("refuses at once what it could not answer within the wait bound, and serves the rest in order", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(0);
    const { batch, applied, finish } = controlled();
    const commit = new GroupCommit({ queueLimit: 10_000, queueWaitLimitMs: 100 }, batch);
    const first = commit.submit(0);
    // 40 calls queue behind the first; their batch takes 80 ms: 2 ms a call.
    const second = Array.from({ length: 40 }, (_, i) => commit.submit(i + 1));
    await finish(1);
    expect(await first).toBe("ok:0");
    await finish(81);
    expect(await Promise.all(second)).toEqual(second.map((_, i) => `ok:${i + 1}`));
    // Now 2 ms a call: behind a batch of one in flight (2 ms), 49 more fit in 100 ms, the rest are refused.
    const inFlight = commit.submit(100);
    const next = Array.from({ length: 60 }, (_, i) => commit.submit(200 + i));
    const all = Promise.all([inFlight, ...next]);
    await finish(82);
    await finish(150);
    const answers = await all;
    expect(answers.filter((a) => a === "overloaded")).toHaveLength(11);
    expect(answers.slice(0, 50)).toEqual(
      [100, ...next.slice(0, 49).map((_, i) => 200 + i)].map((c) => `ok:${c}`),
    );
    expect(applied.flat()).not.toContain(249);
  });

  it("never refuses on an estimate before it measured a large batch", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(0);
    const { batch, finish } = controlled();
    const commit = new GroupCommit({ queueLimit: 10_000, queueWaitLimitMs: 100 }, batch);
    const calls = Array.from({ length: 500 }, (_, i) => commit.submit(i));
    await finish(5);
    await finish(60);
    expect(new Set(await Promise.all(calls)).has("overloaded")).toBe(false);
  });

  it("refuses queued calls that waited past the bound", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(0);
    const { batch, finish } = controlled();
    const commit = new GroupCommit({ queueLimit: 10_000, queueWaitLimitMs: 100 }, batch);
    const first = commit.submit(0);
    const late = Array.from({ length: 3 }, (_, i) => commit.submit(i + 1));
    await finish(150);
    expect(await first).toBe("ok:0");
    expect(await Promise.all(late)).toEqual(["overloaded", "overloaded", "overloaded"]);
  });
});
