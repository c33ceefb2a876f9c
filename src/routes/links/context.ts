import type { Context } from "hono";
import { allowsLocalStandIns } from "../../config";
import { type AppEnv, tenantContext } from "../../http/context";
import type { LinkContext } from "../../links/verbs";

/** The tenant's context, with the origin the links' page URLs are on: the one the request came to. */
export const linkContext = (c: Context<AppEnv>): LinkContext => ({
  ...tenantContext(c),
  origin: new URL(c.req.url).origin,
  allowLocalHttp: allowsLocalStandIns(c.get("config")),
});
