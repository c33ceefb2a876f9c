import type { Policy } from "./policies";

/**
 * The IETF rate-limit headers (draft-ietf-httpapi-ratelimit-headers, structured fields): the policy as
 * `"name";q=<quota>;w=<window seconds>` and the state as `"name";r=<remaining>;t=<seconds to reset>`.
 * `t` and Retry-After are whole seconds rounded up and never 0: a client told 0 would retry at once
 * into the same closed window.
 */
export function rateLimitHeaders(
  name: string,
  policy: Policy,
  remaining: number,
  resetMs: number,
): Record<string, string> {
  const seconds = Math.max(1, Math.ceil(resetMs / 1000));
  return {
    "ratelimit-policy": `"${name}";q=${policy.limit};w=${policy.windowSeconds}`,
    ratelimit: `"${name}";r=${Math.max(0, remaining)};t=${seconds}`,
  };
}

/** The 429's headers: the above plus Retry-After, the same seconds as `t`. */
export function limitedHeaders(name: string, policy: Policy, resetMs: number): Record<string, string> {
  const headers = rateLimitHeaders(name, policy, 0, resetMs);
  return { ...headers, "retry-after": String(Math.max(1, Math.ceil(resetMs / 1000))) };
}
