/**
 * The platform operator's key (docs/platform.md): `Authorization: Bearer cc_op_…`, checked against the
 * hex SHA-256 hashes in OPERATOR_KEY_SHA256 (two during a rotation). The key itself is never stored, so
 * no D1 read is involved and no creator key can ever pass: creator keys are looked up in api_keys and
 * this one only here, and each side refuses the other's prefix.
 */
import { createMiddleware } from "hono/factory";
import { AppError } from "../errors";
import type { AppEnv } from "../http/context";
import { constantTimeEqual, hashApiKey, OPERATOR_KEY_PREFIX } from "../lib/api-keys";

/** The actor operator writes carry in the audit log. */
export const OPERATOR_ACTOR = "operator";

const unauthenticated = (detail: string) =>
  new AppError("unauthenticated", detail, {
    headers: { "www-authenticate": 'Bearer realm="creator-commerce-operator"' },
  });

/** The presented operator key, for the create route's sealed replay (src/operator/replay.ts). */
const presented = new WeakMap<Request, string>();
export const operatorKeyOf = (request: Request): string | undefined => presented.get(request);

export const requireOperatorKey = createMiddleware<AppEnv>(async (c, next) => {
  const configured = c.get("config").OPERATOR_KEY_SHA256;
  if (configured === undefined) {
    throw unauthenticated(
      "No operator key is configured on this worker: set OPERATOR_KEY_SHA256 (npm run operator-key).",
    );
  }
  const header = c.req.header("authorization");
  if (header === undefined) {
    throw unauthenticated("Send the platform operator's key as `Authorization: Bearer cc_op_…`.");
  }
  const key = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
  if (key === undefined) throw unauthenticated("The Authorization header must use the Bearer scheme.");
  // A creator key (cc_sk_, cc_rk_, cc_pk_) is refused here by its prefix, before any hashing.
  if (!key.startsWith(OPERATOR_KEY_PREFIX) || key.length > 128) {
    throw unauthenticated("This route takes the platform operator's key (cc_op_…), not a creator's key.");
  }
  const hash = await hashApiKey(key);
  // Every configured hash is compared, without an early exit, so timing says nothing about which matched.
  let matched = false;
  for (const expected of configured.split(",")) matched = constantTimeEqual(expected, hash) || matched;
  if (!matched) throw unauthenticated("The operator key is not valid.");
  presented.set(c.req.raw, key);
  return next();
});
