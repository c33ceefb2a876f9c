/**
 * Standard Webhooks 1.0 signing. A secret is `whsec_` + standard base64 of its random bytes (24 here;
 * the spec allows 24 to 64), and the key is those bytes, base64-decoded: never the text after the
 * prefix used as is. The signed content is `${webhook-id}.${webhook-timestamp}.${body}`, HMAC-SHA256,
 * sent as `v1,<base64>`; during a rotation, one such signature per secret, space-separated.
 */
export const SECRET_PREFIX = "whsec_";
export const SECRET_BYTES = 24;

const toBase64 = (bytes: Uint8Array): string => {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
};

/** A new endpoint secret, serialised exactly as the spec says. */
export function generateSecret(): string {
  return SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
}

/** The HMAC key a secret stands for: the bytes its base64 encodes. */
export function secretKeyBytes(secret: string): Uint8Array {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error("a webhook secret starts with whsec_");
  const binary = atob(secret.slice(SECRET_PREFIX.length));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

// Importing a key costs more than the HMAC of a small body; endpoints sign many events with one secret.
const keys = new Map<string, Promise<CryptoKey>>();
const MAX_CACHED_KEYS = 1000;

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (key === undefined) {
    if (keys.size >= MAX_CACHED_KEYS) keys.clear();
    key = crypto.subtle.importKey("raw", secretKeyBytes(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    keys.set(secret, key);
  }
  return key;
}

/** One `v1,<base64>` signature of a message under one secret. */
export async function sign(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  const content = new TextEncoder().encode(`${id}.${timestamp}.${body}`);
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), content);
  return `v1,${toBase64(new Uint8Array(mac))}`;
}

/** The `webhook-signature` header: a signature per secret (the current first), space-separated. */
export async function signatureHeader(
  secrets: readonly string[],
  id: string,
  timestamp: number,
  body: string,
): Promise<string> {
  const signatures = await Promise.all(secrets.map((s) => sign(s, id, timestamp, body)));
  return signatures.join(" ");
}
