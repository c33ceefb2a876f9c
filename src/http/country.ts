import type { Context } from "hono";
import type { AppEnv } from "./context";

/**
 * The buyer's country. In production only the network's answer counts (`request.cf.country`), so a
 * buyer cannot pick a cheaper country's price; locally and in tests the Buyer-Country header stands in.
 */
export function buyerCountry(c: Context<AppEnv>): string | null {
  const fromNetwork = (c.req.raw.cf as { country?: unknown } | undefined)?.country;
  if (c.var.config.ENVIRONMENT === "production") return typeof fromNetwork === "string" ? fromNetwork : null;
  const fromHeader = c.req.header("buyer-country");
  if (fromHeader !== undefined) return fromHeader;
  return typeof fromNetwork === "string" ? fromNetwork : null;
}
