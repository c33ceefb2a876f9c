/**
 * What a rate limit is keyed by (docs/rate-limits.md, "Keys"). Every key is namespaced by its kind, so
 * an IP and a buyer id never share a counter.
 *
 * Only CF-Connecting-IP is trusted for the address: Cloudflare sets it on every request to a deployed
 * worker and a client cannot override it. An IPv6 address is cut to its /64, the block one subscriber
 * is handed, because rotating the low 64 bits is free. A request without the header (only a test's, a
 * benchmark's or a local run's) yields "".
 */
import type { Context } from "hono";
import type { AppEnv } from "../http/context";
import { hashApiKey, kindOfKey } from "../lib/api-keys";

/**
 * Outside production, a request Cloudflare did not front is not rate limited at all: one with no
 * CF-Connecting-IP (the rest of the test suite, the benchmark's direct socket) or from the loopback
 * address the local runtime stamps on every request (`npm start`, the browser tests: one person's
 * browser, its page's polling and its scripts would otherwise share one public budget). A test of the
 * limits opts in by sending another address. Production always limits: there a missing header counts
 * under one shared "unknown" key.
 */
const LOOPBACK = new Set(["127.0.0.1", "::1"]);
export const unlimited = (c: Context<AppEnv>): boolean => {
  if (c.env.ENVIRONMENT === "production") return false;
  const ip = c.req.header("cf-connecting-ip");
  return ip === undefined || LOOPBACK.has(ip.trim());
};

export function clientIp(c: Context<AppEnv>): string {
  const raw = c.req.header("cf-connecting-ip")?.trim() ?? "";
  return raw.includes(":") ? ipv6Prefix(raw) : raw;
}

/** `ip:<address>` (or `ip:<v6 /64>::/64`), or "" when the request carries no address. */
export function ipKey(c: Context<AppEnv>): string {
  const ip = clientIp(c);
  return ip === "" ? "" : `ip:${ip}`;
}

/** The first four hextets of an IPv6 address, expanded, as `a:b:c:d::/64`. */
export function ipv6Prefix(address: string): string {
  const bare = address.replace(/^\[|\]$/g, "").split("%")[0] ?? "";
  const [head = "", tail] = bare.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const missing = tail === undefined ? 0 : Math.max(0, 8 - left.length - right.length);
  const groups = [...left, ...Array<string>(missing).fill("0"), ...right];
  const prefix = groups.slice(0, 4).map((g) => (Number.parseInt(g, 16) || 0).toString(16));
  while (prefix.length < 4) prefix.push("0");
  return `${prefix.join(":")}::/64`;
}

/**
 * `api_key:<sha-256 prefix>` for a request that presents a creator's server-side key (secret `cc_sk_`
 * or restricted `cc_rk_`), or null. Hashed, so no key is a counter's name; unverified, because verifying
 * needs D1 and this runs before the route: a forged key gains a fresh counter only to be refused 401 by
 * the route. A publishable key (`cc_pk_`) is null: it is printed in public pages and sent by every
 * buyer's browser, so it counts per address under `public` like any buyer. Its own counter would pool
 * all of a creator's buyers into one budget, and would let anyone who copies it off a page skip the
 * per-address limit.
 */
export async function apiKeyKey(c: Context<AppEnv>): Promise<string | null> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
  const key = match?.[1];
  const kind = key === undefined ? null : kindOfKey(key);
  if (key === undefined || kind === null || kind === "publishable") return null;
  return `api_key:${(await hashApiKey(key)).slice(0, 32)}`;
}

/** A member for sign-in counters: the creator and the email as sign-in compares it (trimmed, lower-cased). */
export const memberEmailKey = (creatorId: string, email: string): string =>
  `member:${creatorId}:${email.trim().toLowerCase()}`;

/**
 * Quotes are counted per buyer: the member a creator's server names, else the Buyer-Token (unverified
 * here; a forged one is refused 401 by the quote itself), else the Buyer-Id, else the address. A Buyer-Id
 * is the client's own, so this bounds one honest buyer's page, not a scalper who rotates it (the gate's
 * per-IP count does that, and tokens are minted per IP).
 */
export function quoteLimitKey(
  c: Context<AppEnv>,
  caller: { creatorId: string } | null,
  memberId: string | undefined,
): string {
  if (caller !== null && memberId !== undefined) return `member:${caller.creatorId}:${memberId}`;
  const token = c.req.header("buyer-token");
  if (token !== undefined && token !== "") return `buyer_token:${token}`;
  const buyer = c.req.header("buyer-id");
  if (buyer !== undefined && buyer !== "") return `buyer:${buyer}`;
  return ipKey(c);
}
