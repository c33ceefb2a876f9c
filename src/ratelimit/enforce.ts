/**
 * Enforcing the policy table (policies.ts). `enforce` counts one hit and answers 429 rate_limited once
 * the caller is over; `guardFailures` wraps work whose failures alone count (sign-in codes, refresh
 * credentials). Both add the IETF RateLimit-Policy and RateLimit headers to the answer (headers.ts).
 */
import type { Context } from "hono";
import { AppError, type ErrorCode } from "../errors";
import type { AppEnv } from "../http/context";
import { limitedHeaders, rateLimitHeaders } from "./headers";
import { unlimited } from "./keys";
import { overridesOf } from "./overrides";
import { type Policy, type PolicyName, policyOf } from "./policies";

export type { PolicyName } from "./policies";

const limited = (name: PolicyName, policy: Policy, resetMs: number): AppError =>
  new AppError(
    "rate_limited",
    `Too many requests under the "${name}" policy (${policy.limit} per ${policy.windowSeconds} s); ` +
      "retry after the time in Retry-After.",
    { headers: limitedHeaders(name, policy, resetMs) },
  );

function addHeaders(c: Context<AppEnv>, headers: Record<string, string>): void {
  // Both headers are lists: one item per policy this request was counted under.
  for (const [name, value] of Object.entries(headers)) c.header(name, value, { append: true });
}

/**
 * Counts one request under `policy` for `key` (what the policy's key kind names, built by keys.ts: an
 * IP, a buyer, an API key id...) and throws 429 when it is over. Nothing is counted for a local request
 * Cloudflare did not front (keys.ts, `unlimited`); an empty key (no address) shares one "unknown" key.
 */
export async function enforce(c: Context<AppEnv>, policy: PolicyName, key: string): Promise<void> {
  if (unlimited(c)) return;
  const counted = key === "" ? "unknown" : key;
  const p = policyOf(policy, overridesOf(c));
  if (p.layer === "binding") return viaBinding(c, policy, p, counted);
  const result = await counterFor(c, counted).hit(policy, p.limit, p.windowSeconds * 1000, {
    now: now(c),
    durable: p.durable === true,
  });
  if (!result.ok) throw limited(policy, p, result.resetMs);
  addHeaders(c, rateLimitHeaders(policy, p, result.remaining, result.resetMs));
}

/** The cheap layer: one call to Cloudflare's Rate Limiting binding, which knows only yes or no. */
async function viaBinding(c: Context<AppEnv>, name: PolicyName, p: Policy, key: string): Promise<void> {
  const binding = p.binding === undefined ? undefined : c.env[p.binding];
  if (binding === undefined) {
    throw new AppError("misconfigured", `The rate limiting binding ${p.binding} is missing (wrangler.toml).`);
  }
  // A test's override travels in the call: Miniflare's binding takes `limit` and `period` per call.
  // Production never sends them (overridesOf is empty there), so the binding's wrangler.toml figures hold.
  const overridden = overridesOf(c)?.[name] !== undefined;
  const options = overridden ? { key, limit: p.limit, period: p.windowSeconds } : { key };
  const { success } = await binding.limit(options as { key: string });
  // The binding says neither what is left nor when its window ends, so the answer is the whole period:
  // never too early, and at most one period too late.
  if (!success) throw limited(name, p, p.windowSeconds * 1000);
  addHeaders(c, { "ratelimit-policy": `"${name}";q=${p.limit};w=${p.windowSeconds}` });
}

/**
 * Runs `work` where only its failures count against each `[policy, key]`: every attempt is counted up
 * front (so a parallel burst cannot slip past a check it all passed at once) and given back when it
 * succeeds, after the answer (waitUntil). `isFailure` says which errors count; others are given back.
 */
export async function guardFailures<T>(
  c: Context<AppEnv>,
  limits: ReadonlyArray<readonly [PolicyName, string]>,
  isFailure: (error: unknown) => boolean,
  work: () => Promise<T>,
): Promise<T> {
  if (unlimited(c)) return work();
  // An empty key (no address) shares one "unknown" key, as in enforce().
  const active = limits.map(([name, key]) => [name, key === "" ? "unknown" : key] as const);
  const overrides = overridesOf(c);
  const at = now(c);
  const counted = await Promise.all(
    active.map(async ([name, key]) => {
      const p = policyOf(name, overrides);
      const result = await counterFor(c, key).hit(name, p.limit, p.windowSeconds * 1000, {
        now: at,
        durable: p.durable === true,
      });
      return { name, key, p, result };
    }),
  );
  const refund = (which: typeof counted) => {
    const back = which.map(({ name, key, p }) =>
      counterFor(c, key).hit(name, p.limit, p.windowSeconds * 1000, {
        now: at,
        cost: -1,
        durable: p.durable === true,
      }),
    );
    later(c, Promise.allSettled(back));
  };
  const over = counted.find(({ result }) => !result.ok);
  if (over !== undefined) {
    // Refused before any work: the hits that were counted are not failures either.
    refund(counted.filter(({ result }) => result.ok));
    throw limited(over.name, over.p, over.result.resetMs);
  }
  // The headers tell what is left once this attempt is settled: a success is given its hit back.
  const report = (given: number) => {
    for (const { name, p, result } of counted)
      addHeaders(c, rateLimitHeaders(name, p, Math.min(p.limit, result.remaining + given), result.resetMs));
  };
  try {
    const value = await work();
    refund(counted);
    report(1);
    return value;
  } catch (error) {
    const failed = isFailure(error);
    if (!failed) refund(counted);
    report(failed ? 0 : 1);
    throw error;
  }
}

/** After the answer where there is an execution context; a caller without one (a unit's app.fetch) lets it run. */
function later(c: Context<AppEnv>, work: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    void work;
  }
}

/** For guardFailures: the errors of one code are the failures that count. */
export const isAppError =
  (code: ErrorCode) =>
  (error: unknown): boolean =>
    error instanceof AppError && error.code === code;

/** The counter object for a key; RateCounter keeps one window per policy inside it. */
function counterFor(c: Context<AppEnv>, key: string) {
  return c.env.RATE_COUNTER.get(c.env.RATE_COUNTER.idFromName(key));
}

const now = (c: Context<AppEnv>): number => c.get("clock").now();
