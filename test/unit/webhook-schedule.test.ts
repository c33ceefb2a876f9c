import { describe, expect, it } from "vitest";
import { eventTypeFor } from "../../src/webhooks/event-types";
import {
  JITTER,
  MAX_ATTEMPTS,
  outcomeOf,
  parseRetryAfter,
  RETRY_WAITS_MS,
  retryWait,
} from "../../src/webhooks/schedule";
import { endpointUrlProblem } from "../../src/webhooks/url";

const HOUR = 3_600_000;
const now = Date.parse("2026-12-01T12:00:00Z");

describe("the retry schedule", () => {
  it("starts as the Standard Webhooks reference does (at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h) and spans about 75 hours", () => {
    expect(RETRY_WAITS_MS.slice(0, 6)).toEqual([5_000, 300_000, 1_800_000, 2 * HOUR, 5 * HOUR, 10 * HOUR]);
    const total = RETRY_WAITS_MS.reduce((a, b) => a + b, 0) / HOUR;
    expect(total).toBeGreaterThan(72);
    expect(total).toBeLessThan(78);
    expect(MAX_ATTEMPTS).toBe(11);
  });

  it("jitters each wait within ±10 %, so a recovered receiver is not hit by every retry at once", () => {
    for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
      const base = RETRY_WAITS_MS[attempt - 1] ?? 0;
      expect(retryWait(attempt, 0)).toBe(Math.round(base * (1 - JITTER)));
      expect(retryWait(attempt, 0.999_999)).toBeLessThanOrEqual(Math.round(base * (1 + JITTER)));
      expect(retryWait(attempt, 0.3)).not.toBe(retryWait(attempt, 0.7));
    }
    expect(retryWait(MAX_ATTEMPTS, 0.5)).toBeNull();
  });

  it.each([
    [200, "succeeded"],
    [204, "succeeded"],
    [410, "gone"],
    [500, "retry"],
    [404, "retry"],
    [301, "retry"],
    [null, "retry"],
  ])("an answer of %s is %s", (status, kind) => {
    expect(outcomeOf({ status, retryAfter: null, attempts: 1, now, random: 0.5 }).kind).toBe(kind);
  });

  it("gives up after the 11th attempt", () => {
    expect(outcomeOf({ status: 500, retryAfter: null, attempts: MAX_ATTEMPTS, now, random: 0.5 })).toEqual({
      kind: "exhausted",
    });
  });

  it("waits at least as long as a 429 or 503 asks in Retry-After (seconds or a date), never less than the schedule", () => {
    const at = (status: number, retryAfter: string | null) =>
      outcomeOf({ status, retryAfter, attempts: 1, now, random: 0.5 });
    expect(at(429, "120")).toEqual({ kind: "retry", at: now + 120_000 });
    expect(at(503, new Date(now + 600_000).toUTCString())).toEqual({ kind: "retry", at: now + 600_000 });
    expect(at(429, "1")).toEqual({ kind: "retry", at: now + 5_000 });
    // Only 429 and 503 are taken at their word.
    expect(at(500, "3600")).toEqual({ kind: "retry", at: now + 5_000 });
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter("999999999", now)).toBe(24 * HOUR);
  });
});

describe("endpoint URLs", () => {
  it.each([
    ["http://example.com/hook", true, "Must be an https URL"],
    ["https://localhost/hook", true, "Must be a public host, not a private, loopback or link-local one"],
    ["https://127.0.0.1/hook", true, "Must be a public host, not a private, loopback or link-local one"],
    ["https://10.1.2.3/hook", true, "Must be a public host, not a private, loopback or link-local one"],
    ["https://192.168.0.10/hook", true, "Must be a public host, not a private, loopback or link-local one"],
    [
      "https://169.254.169.254/latest",
      true,
      "Must be a public host, not a private, loopback or link-local one",
    ],
    ["https://[::1]/hook", true, "Must be a public host, not a private, loopback or link-local one"],
    ["https://user:pw@example.com/hook", true, "Must not carry a user name or password"],
    [
      "http://example.com/hook",
      false,
      "Must be an https URL (plain http only to localhost outside production)",
    ],
    ["https://169.254.169.254/latest", false, "Must be a public host, not a private or link-local one"],
    ["https://10.0.0.8/hook", false, "Must be a public host, not a private or link-local one"],
  ])("refuses %s (production: %s)", (url, production, problem) => {
    expect(endpointUrlProblem(url, production)).toBe(problem);
  });

  it.each([
    ["https://example.com/hooks", true],
    ["https://hooks.example.com:8443/in?x=1", true],
    ["http://localhost:8790/", false],
    ["http://127.0.0.1:8790/", false],
  ])("accepts %s (production: %s)", (url, production) => {
    expect(endpointUrlProblem(url, production)).toBeNull();
  });
});

describe("event types", () => {
  it("sends the audit actions it lists and nothing else", () => {
    expect(eventTypeFor("order.paid")).toBe("order.paid");
    expect(eventTypeFor("drop.sold_out")).toBe("drop.sold_out");
    expect(eventTypeFor("pos.batch_reconciled")).toBe("pos.batch_reconciled");
    expect(eventTypeFor("webhook_endpoint.created")).toBeNull();
    expect(eventTypeFor("session.started")).toBeNull();
    // Only the test route makes a webhook.test event; no audit row can.
    expect(eventTypeFor("webhook.test")).toBeNull();
  });
});
