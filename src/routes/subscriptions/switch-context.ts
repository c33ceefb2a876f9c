import type { Context } from "hono";
import { type AppEnv, renewalContext } from "../../http/context";
import { quoteKeys } from "../../quotes/token";
import type { SwitchContext } from "../../subscriptions/switch";

/** Tier switches sign and verify change quotes with the quote keys. */
export const switchContext = async (c: Context<AppEnv>, actor: string): Promise<SwitchContext> => ({
  ...renewalContext(c, actor),
  quoteKeys: await quoteKeys(c.get("config").QUOTE_SIGNING_KEYS),
});
