/**
 * What the buyer-token routes and the gated routes (holds, checkouts, quotes) build from a request: the
 * parsed quote keys (imported once per isolate), the spent-challenge ledger and the queue's admission
 * check.
 */
import type { Context } from "hono";
import { verifyAdmission } from "../admission/token";
import type { GateContext } from "../drops/gate";
import type { AppEnv } from "../http/context";
import { quoteKeys } from "../quotes/token";
import { counterLedger } from "./challenges";
import { tokenBuyerKey, verifyBuyerToken } from "./token";
import type { BuyerTokenContext } from "./verbs";

export const buyerTokenContext = async (c: Context<AppEnv>): Promise<BuyerTokenContext> => ({
  keys: await quoteKeys(c.get("config").QUOTE_SIGNING_KEYS),
  now: c.get("clock").now(),
  challenges: counterLedger(c.env.RATE_COUNTER),
});

export const gateContext = async (c: Context<AppEnv>): Promise<GateContext> => ({
  db: c.get("db"),
  inventory: c.get("inventory"),
  now: c.get("clock").now(),
  buyerKeys: await quoteKeys(c.get("config").QUOTE_SIGNING_KEYS),
  admit: (token, dropId, key) => verifyAdmission(c.get("config"), token, dropId, key, c.get("clock").now()),
});

/** The key of a Buyer-Token sent with a request (verified: a bad one is 401), or undefined for none. */
export async function verifiedTokenKey(
  c: Context<AppEnv>,
  token: string | undefined,
): Promise<string | undefined> {
  if (token === undefined) return undefined;
  const keys = await quoteKeys(c.get("config").QUOTE_SIGNING_KEYS);
  return tokenBuyerKey((await verifyBuyerToken(keys, token, c.get("clock").now())).buyerId);
}
