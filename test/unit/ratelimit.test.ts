import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { limitedHeaders, rateLimitHeaders } from "../../src/ratelimit/headers";
import { ipv6Prefix } from "../../src/ratelimit/keys";
import { policies, policyOf } from "../../src/ratelimit/policies";
import { hit, type WindowState } from "../../src/ratelimit/window";

const MINUTE = 60_000;

/** Replays hits at the given times through the pure window, as RateCounter stores it. */
function replay(times: number[], limit: number, windowMs: number) {
  let state: WindowState | undefined;
  return times.map((t) => {
    const step = hit(state, t, limit, windowMs, 1);
    state = step.next;
    return step.result;
  });
}

describe("the exact layer's fixed window", () => {
  it("lets exactly `limit` hits through in a window, then refuses until it ends", () => {
    const results = replay([0, 1, 2, 3, 4, 59_999, 60_000], 5, MINUTE);
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true, true, false, true]);
    expect(results.map((r) => r.remaining)).toEqual([4, 3, 2, 1, 0, 0, 4]);
    // Refused one millisecond before the end: retry in 1 ms, never 0.
    expect(results[5]?.resetMs).toBe(1);
  });

  it("does not count refused hits, so hammering a closed window does not push its reset away", () => {
    const times = [0, 1, ...Array.from({ length: 700 }, (_, i) => 2 + i * 100)];
    const results = replay(times, 2, MINUTE);
    const firstAfter = times.findIndex((t) => t >= MINUTE);
    expect(results.slice(2, firstAfter).every((r) => !r.ok)).toBe(true);
    expect(results[firstAfter]?.ok).toBe(true);
  });

  it("a look (cost 0) counts nothing and says whether the window is closed", () => {
    const open = hit({ start: 0, count: 4 }, 10, 5, MINUTE, 0);
    expect(open).toEqual({
      next: { start: 0, count: 4 },
      result: { ok: true, remaining: 1, resetMs: 59_990 },
    });
    const closed = hit({ start: 0, count: 5 }, 10, 5, MINUTE, 0);
    expect(closed.result.ok).toBe(false);
  });

  it("a clock that moved backwards starts a fresh window rather than trusting a future one", () => {
    expect(hit({ start: 10 * MINUTE, count: 5 }, MINUTE, 5, MINUTE, 1).result).toMatchObject({ ok: true });
  });

  it("never lets more than `limit` through in any one window, whatever the arrival times (property)", () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.integer({ min: 0, max: 10 * MINUTE }), { maxLength: 300 })
          .map((ts) => ts.sort((a, b) => a - b)),
        fc.integer({ min: 1, max: 20 }),
        (times, limit) => {
          const results = replay(times, limit, MINUTE);
          let state: WindowState | undefined;
          const admittedPerWindow = new Map<number, number>();
          times.forEach((t, i) => {
            state = hit(state, t, limit, MINUTE, 0).next;
            if (results[i]?.ok)
              admittedPerWindow.set(state.start, (admittedPerWindow.get(state.start) ?? 0) + 1);
          });
          for (const n of admittedPerWindow.values()) expect(n).toBeLessThanOrEqual(limit);
          for (const r of results) expect(r.resetMs).toBeGreaterThanOrEqual(1);
        },
      ),
      { seed: 18_03, numRuns: 300 },
    );
  });
});

describe("the IETF headers", () => {
  const policy = policies.quotes;

  it("are the structured-field items of draft-ietf-httpapi-ratelimit-headers", () => {
    expect(rateLimitHeaders("quotes", policy, 7, 12_300)).toEqual({
      "ratelimit-policy": `"quotes";q=${policy.limit};w=${policy.windowSeconds}`,
      ratelimit: '"quotes";r=7;t=13',
    });
  });

  it("never tells a client to retry after 0 seconds, and Retry-After equals t (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3_600_000 }), (resetMs) => {
        const headers = limitedHeaders("quotes", policy, resetMs);
        const retryAfter = Number(headers["retry-after"]);
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter * 1000).toBeGreaterThanOrEqual(resetMs);
        expect(headers.ratelimit).toBe(`"quotes";r=0;t=${retryAfter}`);
      }),
      { seed: 18_03 },
    );
  });
});

describe("keys", () => {
  it.each([
    ["2001:db8:85a3:1:8a2e:370:7334:1", "2001:db8:85a3:1::/64"],
    ["2001:db8:85a3:1:ffff:ffff:ffff:ffff", "2001:db8:85a3:1::/64"],
    ["2001:0db8:0000:0001::1", "2001:db8:0:1::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
  ])("an IPv6 address rotating its low 64 bits stays one caller: %s → %s", (address, prefix) => {
    expect(ipv6Prefix(address)).toBe(prefix);
  });
});

describe("the policy table", () => {
  it("uses only periods the Rate Limiting binding supports (10 or 60 s) for binding policies", () => {
    for (const p of Object.values(policies)) {
      if (p.layer === "binding") {
        expect([10, 60]).toContain(p.windowSeconds);
        expect(p.binding).toBeDefined();
      }
    }
  });

  it("gives a creator's API key a higher limit than the public per-IP gate", () => {
    expect(policies.creator_api.limit).toBeGreaterThan(policies.public.limit);
  });

  it("takes a test's override of a limit without changing what else the policy is", () => {
    const p = policyOf("refresh_failures_ip", { refresh_failures_ip: { limit: 3, windowSeconds: 10 } });
    expect(p).toEqual({ ...policies.refresh_failures_ip, limit: 3, windowSeconds: 10 });
    expect(policyOf("refresh_failures_ip", undefined)).toBe(policies.refresh_failures_ip);
  });
});
