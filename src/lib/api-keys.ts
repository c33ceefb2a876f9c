import { randomToken, sha256Hex } from "./crypto";

/**
 * Creator API keys: `cc_sk_` and 40 base32 characters (200 random bits). Only the SHA-256 is stored;
 * a key this long needs no slow hash, and a fast one keeps authentication to one indexed lookup.
 */
export const API_KEY_PREFIX = "cc_sk_";

export const generateApiKey = (): string => `${API_KEY_PREFIX}${randomToken(40)}`;

export const hashApiKey = (key: string): Promise<string> => sha256Hex(key);

/** What may be shown of a key after creation: enough to tell keys apart, not enough to use one. */
export const displayPrefix = (key: string): string => key.slice(0, API_KEY_PREFIX.length + 4);
