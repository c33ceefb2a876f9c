/**
 * A new key's secret inside an Idempotency-Key's stored response. The secret is never kept in the
 * clear, yet a client whose 201 was lost must get the same key back when it retries, or the key it
 * never saw stays live. So the stored answer holds the secret sealed (AES-256-GCM) under a key derived
 * from the API key that made the request: D1 holds only that key's hash, so what is stored opens for
 * nobody but the caller presenting the same key again.
 */
const encoder = new TextEncoder();

async function sealingKey(callerKey: string): Promise<CryptoKey> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(`api-key-replay\n${callerKey}`));
  return crypto.subtle.importKey("raw", digest, "AES-GCM", false, ["encrypt", "decrypt"]);
}

const toBase64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string): Uint8Array => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/** `iv.ciphertext`, base64: the secret as only `callerKey` can open it. */
export async function seal(callerKey: string, secret: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv },
    await sealingKey(callerKey),
    encoder.encode(secret),
  );
  return `${toBase64(iv)}.${toBase64(new Uint8Array(sealed))}`;
}

/** The secret, or null when `callerKey` is not the key that sealed it (or the text is not a seal). */
export async function unseal(callerKey: string, sealed: string): Promise<string | null> {
  const [iv, body] = sealed.split(".");
  if (iv === undefined || body === undefined) return null;
  try {
    const opened = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromBase64(iv) },
      await sealingKey(callerKey),
      fromBase64(body),
    );
    return new TextDecoder().decode(opened);
  } catch {
    return null;
  }
}
