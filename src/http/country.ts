import type { Context } from "hono";
import type { AppEnv } from "./context";

/**
 * The buyer's country. In production only the network's answer counts (`request.cf.country`), so a
 * buyer cannot pick a cheaper country's price; locally and in tests the Buyer-Country header stands in.
 * `request.cf` is built afresh on every read, so it is read at most once, and only when needed.
 */
export function buyerCountry(c: Context<AppEnv>): string | null {
  if (c.get("config").ENVIRONMENT !== "production") {
    const fromHeader = c.req.header("buyer-country");
    if (fromHeader !== undefined) return fromHeader;
  }
  const fromNetwork = (c.req.raw.cf as { country?: unknown } | undefined)?.country;
  return typeof fromNetwork === "string" ? fromNetwork : null;
}
