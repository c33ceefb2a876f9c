/**
 * Overlay tokens: `ovl_` and 40 base32 characters (200 random bits), the read-only credential in a
 * drop's overlay URL. Like API keys, only the SHA-256 is stored; unlike them, a token is checked against
 * one drop's row (its primary key), never looked up by hash, so it can open nothing but that overlay.
 */
import { randomToken, sha256Hex } from "../lib/crypto";
import { idPrefixes } from "../lib/ids";

export const OVERLAY_TOKEN_PREFIX = `${idPrefixes.overlayToken}_`;
const TOKEN_PATTERN = /^ovl_[0-9a-z]{40}$/;

export const generateOverlayToken = (): string => `${OVERLAY_TOKEN_PREFIX}${randomToken(40)}`;

export const hashOverlayToken = (token: string): Promise<string> => sha256Hex(token);

/** Whether a string could be a token at all: anything else is refused before any hashing or lookup. */
export const looksLikeOverlayToken = (token: string | undefined): token is string =>
  token !== undefined && TOKEN_PATTERN.test(token);

/** Compares two hex digests in time that depends only on their length, not on where they differ. */
export function sameDigest(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
