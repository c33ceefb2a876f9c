/** Small WebCrypto helpers that run the same in workerd and Node 20. */

const hex = (bytes: ArrayBuffer): string =>
  Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");

export async function sha256Hex(text: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

// Crockford's base32: no padding, no ambiguous letters, safe in URLs and ids.
const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

/** `length` random base32 characters: 5 bits of entropy each. */
export function randomToken(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = "";
  for (const byte of bytes) out += alphabet[byte & 31];
  return out;
}
