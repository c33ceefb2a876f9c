/**
 * The overlay page's response headers. Its one script and one style sheet are inline and allowed by
 * their hashes (computed once per isolate), so the policy admits nothing else: no other script, no
 * outside request but this worker's own stream and stock, no framing, no referrer carrying the token.
 */
import { overlayScript, overlayStyle } from "./page";

const base64 = (bytes: ArrayBuffer): string => btoa(String.fromCharCode(...new Uint8Array(bytes)));
const digest = async (text: string): Promise<string> =>
  `'sha256-${base64(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))}'`;

let hashes: Promise<{ script: string; style: string }> | undefined;

export async function overlayHeaders(origin: string): Promise<Record<string, string>> {
  hashes ??= Promise.all([digest(overlayScript), digest(overlayStyle)]).then(([script, style]) => ({
    script,
    style,
  }));
  const { script, style } = await hashes;
  const host = new URL(origin).host;
  return {
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-robots-tag": "noindex",
    "x-content-type-options": "nosniff",
    "content-security-policy": [
      "default-src 'none'",
      `script-src ${script}`,
      `style-src ${style}`,
      `connect-src 'self' wss://${host} ws://${host}`,
      "img-src 'self' data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
  };
}
