import type { ApiKeyKind } from "../db/schema";
import { randomToken, sha256Hex } from "./crypto";

/**
 * Creator API keys (docs/keys.md): a kind prefix and 40 base32 characters (200 random bits). Only the
 * SHA-256 is stored; a key this long needs no slow hash, and a fast one keeps authentication to one
 * indexed lookup.
 */
export const KEY_PREFIXES = {
  secret: "cc_sk_",
  restricted: "cc_rk_",
  publishable: "cc_pk_",
} as const satisfies Record<ApiKeyKind, string>;

/** The platform operator's key (src/operator): never stored, only its SHA-256 is configured. */
export const OPERATOR_KEY_PREFIX = "cc_op_";

/** Kept for callers that mean "a secret key": the prefix every key had before kinds existed. */
export const API_KEY_PREFIX = KEY_PREFIXES.secret;

export const generateApiKey = (kind: ApiKeyKind = "secret"): string =>
  `${KEY_PREFIXES[kind]}${randomToken(40)}`;

export const generateOperatorKey = (): string => `${OPERATOR_KEY_PREFIX}${randomToken(40)}`;

/** The kind a key's text claims (before any lookup), or null for anything that is not a creator key. */
export function kindOfKey(key: string): ApiKeyKind | null {
  for (const [kind, prefix] of Object.entries(KEY_PREFIXES) as [ApiKeyKind, string][]) {
    if (key.startsWith(prefix)) return kind;
  }
  return null;
}

export const hashApiKey = (key: string): Promise<string> => sha256Hex(key);

/** What may be shown of a key after creation: enough to tell keys apart, not enough to use one. */
export const displayPrefix = (key: string): string => key.slice(0, API_KEY_PREFIX.length + 4);

/** Compares two equal-length hex digests without an early exit (the length itself is not secret). */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
