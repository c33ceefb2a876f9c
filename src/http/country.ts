import type { Context } from "hono";
import { allowsLocalStandIns } from "../config";
import type { AppEnv } from "./context";

/**
 * The buyer's country. Only the network's answer counts (`request.cf.country`), so a buyer cannot pick a
 * cheaper country's price; in development and test alone the Buyer-Country header stands in for it.
 * `request.cf` is built afresh on every read, so it is read at most once, and only when needed.
 */
export function buyerCountry(c: Context<AppEnv>): string | null {
  if (allowsLocalStandIns(c.get("config"))) {
    const fromHeader = c.req.header("buyer-country");
    if (fromHeader !== undefined) return fromHeader;
  }
  const fromNetwork = (c.req.raw.cf as { country?: unknown } | undefined)?.country;
  return typeof fromNetwork === "string" ? fromNetwork : null;
}
