/**
 * Layer 1 (docs/rate-limits.md): one call to Cloudflare's Rate Limiting binding ahead of every route,
 * before any D1 read. A creator's API key is counted under "creator_api", apart from and above the
 * public traffic, which is counted per connecting IP under "public".
 *
 * Why the IP and not the Buyer-Id header for anonymous buyers: a client invents its Buyer-Id, so a
 * scalper rotating it would get a fresh counter per request. The exact layer keys by buyer where a
 * buyer is what must be bounded (quotes), and signed buyer tokens are bounded per IP when minted.
 */
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/context";
import { enforce } from "./enforce";
import { apiKeyKey, ipKey, unlimited } from "./keys";

/** Paths the gate leaves alone: Stripe's webhooks come from a few Stripe addresses in bursts, signed. */
const exempt = new Set(["/v1/webhooks/stripe"]);

export const rateLimitGate = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.method === "OPTIONS" || exempt.has(c.req.path)) return next();
  if (unlimited(c)) return next();
  const apiKey = await apiKeyKey(c);
  if (apiKey !== null) await enforce(c, "creator_api", apiKey);
  else await enforce(c, "public", ipKey(c));
  return next();
});
