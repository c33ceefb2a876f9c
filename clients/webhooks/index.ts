/**
 * Verifying this worker's webhooks (Standard Webhooks 1.0) in a receiver: `creator-commerce-edge/webhooks`.
 * WebCrypto only, so it runs the same in Node 20+, browsers, Deno and Workers; no dependencies.
 *
 *   const event = await verifyWebhook(secret, request.headers, await request.text());
 *
 * Checks, in order: the three headers are there; the timestamp is within `toleranceSeconds` (5 minutes)
 * of now, either way, so a captured delivery cannot be replayed later; one of the space-separated `v1,`
 * signatures (two during a secret rotation) is the HMAC-SHA256, under the secret's base64-decoded bytes,
 * of `${webhook-id}.${webhook-timestamp}.${body}`, compared in constant time. Verify the raw body as
 * received: parsing and re-serialising JSON changes the bytes. Then it parses the body and returns it.
 * Deduplicate on `webhook-id` (retries repeat it) and drop an event whose `data.seq` is not above the
 * last one you applied for its `data.subject.id`.
 */
export type WebhookErrorReason = "missing_headers" | "timestamp" | "signature" | "secret" | "body";

export class WebhookVerificationError extends Error {
  constructor(
    readonly reason: WebhookErrorReason,
    message: string,
  ) {
    super(message);
    this.name = "WebhookVerificationError";
  }
}

export interface WebhookEvent<Changes = unknown> {
  type: string;
  timestamp: string;
  data: {
    subject: { type: string; id: string };
    seq: number;
    creator_id: string;
    audit_id: string;
    actor: string;
    changes: Changes;
  };
}

export interface VerifyOptions {
  /** How far the timestamp may be from now, in seconds, either way: 300 unless set. */
  toleranceSeconds?: number;
  /** Now, in seconds since the epoch (for tests). */
  nowSeconds?: number;
}

type HeaderSource = Headers | Record<string, string | string[] | undefined>;

const PREFIX = "whsec_";

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const value = record[name] ?? Object.entries(record).find(([k]) => k.toLowerCase() === name)?.[1];
  return Array.isArray(value) ? value.join(",") : value;
}

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** True when `a` and `b` are equal, in time that depends only on their lengths. */
function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

async function hmacKey(secret: string): Promise<CryptoKey> {
  let bytes: Uint8Array;
  try {
    if (!secret.startsWith(PREFIX)) throw new Error("prefix");
    bytes = decodeBase64(secret.slice(PREFIX.length));
  } catch {
    throw new WebhookVerificationError("secret", "The secret must be `whsec_` followed by base64.");
  }
  return crypto.subtle.importKey("raw", bytes as BufferSource, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
}

/** The `v1,<base64>` signature of a message: what the worker sends, for tests of your own. */
export async function signWebhook(secret: string, id: string, timestampSeconds: number, body: string) {
  const mac = await crypto.subtle.sign(
    "HMAC",
    await hmacKey(secret),
    new TextEncoder().encode(`${id}.${timestampSeconds}.${body}`),
  );
  return `v1,${encodeBase64(new Uint8Array(mac))}`;
}

/** Verifies a delivery and returns its parsed body; throws WebhookVerificationError saying why not. */
export async function verifyWebhook<Changes = unknown>(
  secret: string,
  headers: HeaderSource,
  rawBody: string,
  options: VerifyOptions = {},
): Promise<WebhookEvent<Changes>> {
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (id === undefined || timestamp === undefined || signatures === undefined) {
    throw new WebhookVerificationError(
      "missing_headers",
      "webhook-id, webhook-timestamp and webhook-signature are all required.",
    );
  }
  const tolerance = options.toleranceSeconds ?? 300;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const sent = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : Number.NaN;
  if (!Number.isFinite(sent) || Math.abs(now - sent) > tolerance) {
    throw new WebhookVerificationError("timestamp", `webhook-timestamp is not within ${tolerance} s of now.`);
  }
  const expected = await signWebhook(secret, id, sent, rawBody);
  let matched = false;
  for (const candidate of signatures.split(" ")) {
    // Every candidate is compared, so the time taken says nothing about which one matched.
    if (candidate.startsWith("v1,") && constantTimeEqual(candidate, expected)) matched = true;
  }
  if (!matched) throw new WebhookVerificationError("signature", "No v1 signature matches this secret.");
  try {
    return JSON.parse(rawBody) as WebhookEvent<Changes>;
  } catch {
    throw new WebhookVerificationError("body", "The body is not JSON.");
  }
}
