/**
 * Compact JWS signing (RFC 7515) for claims this worker builds itself: the same bytes jose's CompactSign
 * and SignJWT produce (base64url of the header's JSON, then of the payload's UTF-8 JSON, then of the
 * signature over both), so jose verifies them, without jose's per-call work: SignJWT structured-clones
 * the claims and re-validates them, and both re-serialize and re-check the header and the key on every
 * call, which together cost as much CPU as an HMAC signature (profiled). The header is encoded once.
 */
import { base64url } from "jose";

const encoder = new TextEncoder();
const encodedHeaders = new Map<string, string>();
/** Headers vary only by kid; a reset when full bounds the map anyway. */
const MAX_HEADERS = 64;

/** The protected header, base64url-encoded once per distinct header. */
function encodedHeader(header: Record<string, string>): string {
  const json = JSON.stringify(header);
  let encoded = encodedHeaders.get(json);
  if (encoded === undefined) {
    if (encodedHeaders.size >= MAX_HEADERS) encodedHeaders.clear();
    encoded = base64url.encode(json);
    encodedHeaders.set(json, encoded);
  }
  return encoded;
}

/**
 * Signs `payload` (a JSON text) under `header`, whose `alg` the caller matches to `algorithm` and `key`
 * (HS256: HMAC with a SHA-256 key; EdDSA: an Ed25519 key).
 */
export async function signCompact(
  header: Record<string, string>,
  payload: string,
  algorithm: Parameters<SubtleCrypto["sign"]>[0],
  key: CryptoKey,
): Promise<string> {
  const input = `${encodedHeader(header)}.${base64url.encode(payload)}`;
  const signature = await crypto.subtle.sign(algorithm, key, encoder.encode(input));
  return `${input}.${base64url.encode(new Uint8Array(signature))}`;
}
