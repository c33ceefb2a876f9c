/**
 * The one table of rate limits (docs/rate-limits.md). Each policy names its layer:
 * - "binding": Cloudflare's Rate Limiting binding, cheap (no storage, no round trip to an object) but
 *   approximate and counted per Cloudflare location. Its limit and period live in wrangler.toml
 *   (`[[ratelimits]]`), which the binding reads; the figures here must match it (a unit test checks).
 * - "exact": a RateCounter object per key, where the count is exact and global.
 * `key` says what the counter is keyed by, so the docs and the callers agree on why.
 */
export type PolicyName =
  | "public"
  | "creator_api"
  | "quotes"
  | "buyer_token_mint"
  | "sign_in_failures_member"
  | "sign_in_failures_ip"
  | "refresh_failures_ip";

export type KeyKind = "caller" | "api_key" | "buyer_or_ip" | "ip" | "member";

export interface Policy {
  limit: number;
  windowSeconds: number;
  layer: "binding" | "exact";
  key: KeyKind;
  /** Only for "binding": the Env binding that enforces it. */
  binding?: "PUBLIC_RATE_LIMITER" | "CREATOR_API_RATE_LIMITER";
  /** Counts only failures (checked before the work, counted once the failure is known). */
  failuresOnly?: boolean;
  /**
   * Only for "exact": keep the count in the counter's storage, not only its memory. Needed where a
   * pause long enough for the object to be evicted (about a minute idle) must not reset the count.
   */
  durable?: boolean;
}

export const policies: Record<PolicyName, Policy> = {
  // Every public route, per caller (buyer key, device, or the connecting IP): a stampede's first gate.
  public: { limit: 120, windowSeconds: 60, layer: "binding", key: "caller", binding: "PUBLIC_RATE_LIMITER" },
  // A creator's own server calling with its API key: higher, and apart from buyers sharing an IP.
  creator_api: {
    limit: 1200,
    windowSeconds: 60,
    layer: "binding",
    key: "api_key",
    binding: "CREATOR_API_RATE_LIMITER",
  },
  // Signed quotes per buyer (or IP with no buyer) per minute: a page prices a few times, a bot thousands.
  // Not durable: a flood keeps its object alive, and a write per quote would slow the hot path.
  quotes: { limit: 60, windowSeconds: 60, layer: "exact", key: "buyer_or_ip", durable: false },
  // Buyer tokens per connecting IP: what makes an invented buyer cost something (issue 18, part 4).
  buyer_token_mint: { limit: 30, windowSeconds: 600, layer: "exact", key: "ip", durable: true },
  // Wrong sign-in codes per member, across codes and addresses: on top of a code dying after 5 wrong
  // tries, a guesser cannot just ask for fresh codes and keep going.
  sign_in_failures_member: {
    limit: 5,
    windowSeconds: 900,
    layer: "exact",
    key: "member",
    failuresOnly: true,
    durable: true,
  },
  // Wrong sign-in codes per IP, across members: one address trying many inboxes.
  sign_in_failures_ip: {
    limit: 20,
    windowSeconds: 900,
    layer: "exact",
    key: "ip",
    failuresOnly: true,
    durable: true,
  },
  // Bad refresh credentials per IP (the 150-in-a-row of issue 18). Not per member: a credential names
  // no member until its row is found, a guessed one names none, and 256 random bits are not guessable,
  // so a per-member count would only let whoever holds a member's old credential lock them out.
  refresh_failures_ip: {
    limit: 30,
    windowSeconds: 900,
    layer: "exact",
    key: "ip",
    failuresOnly: true,
    durable: true,
  },
};

export const policyNames = Object.keys(policies) as PolicyName[];

/** A test's replacement figures for some policies (RATE_LIMIT_OVERRIDES, read only when ENVIRONMENT=test). */
export type PolicyOverrides = Partial<Record<PolicyName, { limit: number; windowSeconds: number }>>;

/** The policy in force: the table's, or a test's override of its limit and window. */
export function policyOf(name: PolicyName, overrides: PolicyOverrides | undefined): Policy {
  const base = policies[name];
  const override = overrides?.[name];
  return override === undefined ? base : { ...base, ...override };
}
