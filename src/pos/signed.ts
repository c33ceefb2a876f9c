/**
 * Requests a point-of-sale device signs: a compact JWS (EdDSA) under the device's id as `kid`, whose
 * payload carries a `signed_at` time. An unknown device, a bad signature or a stale signing time is 401,
 * a revoked device 403, and nothing is written. Batches and allotment claims both arrive this way.
 *
 * Opening and verifying are two steps, so a caller may read what the request will need in the same D1
 * round trip as the device row (openSigned, then verifySigned): reads keyed by an unverified payload
 * are harmless, as long as nothing is decided or written before the signature verifies.
 */
import { eq } from "drizzle-orm";
import { base64url, compactVerify, decodeProtectedHeader, importJWK } from "jose";
import type { z } from "zod";
import type { Db } from "../db/client";
import { type PosDeviceRow, posDevices } from "../db/schema";
import { AppError, invalid } from "../errors";

/** How far `signed_at` may be from the worker's clock: a captured request cannot be replayed later. */
export const SIGNATURE_SKEW_MS = 5 * 60 * 1000;

type SignatureCode = "batch_signature_invalid" | "claim_signature_invalid";
export interface SignedShape {
  code: SignatureCode;
  what: string;
  detail: string;
}

/** A request as it arrived: the device it names and its payload, neither verified yet. */
export interface SignedRequest {
  jws: string;
  kid: string;
  /** The payload segment, decoded; and its JSON (undefined if it is none). */
  text: string;
  payload: unknown;
}

const unsigned = (shape: SignedShape, detail: string) =>
  new AppError(shape.code, detail, {
    headers: { "www-authenticate": 'Signature realm="creator-commerce-pos"' },
  });

/** The device a request names and its unverified payload; a body that is no compact JWS is 401. */
export function openSigned(jws: string, shape: SignedShape): SignedRequest {
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(jws).kid;
  } catch {
    throw unsigned(shape, "The body must be a compact JWS signed by a registered device.");
  }
  if (typeof kid !== "string") throw unsigned(shape, `The ${shape.what}'s JWS header names no device (kid).`);
  const text = decodeSegment(jws.split(".")[1] ?? "");
  return { jws, kid, text, payload: jsonOf(text) };
}

/** The device row a request's `kid` names, as one statement for a caller's batch. */
export const deviceRead = (db: Db, kid: string) =>
  db.select().from(posDevices).where(eq(posDevices.id, kid)).limit(1);

/**
 * The request's payload, parsed by `schema`, once `device` (the row its kid names, if any) vouches for
 * it. `asOpened` says the verified payload is the one openSigned decoded (always, but for a JWS with an
 * unencoded payload): reads keyed by that one hold for this one.
 */
export async function verifySigned<T extends { signed_at: string }>(
  request: SignedRequest,
  device: PosDeviceRow | undefined,
  now: number,
  schema: z.ZodType<T>,
  shape: SignedShape,
): Promise<{ device: PosDeviceRow; payload: T; asOpened: boolean }> {
  if (device === undefined) throw unsigned(shape, "No registered device has that kid.");
  if (device.revokedAt !== null)
    throw new AppError("device_revoked", `This device was revoked; its ${shape.what}s are refused.`);
  let bytes: Uint8Array;
  try {
    const key = await importJWK(JSON.parse(device.publicJwk) as Record<string, string>, "EdDSA");
    ({ payload: bytes } = await compactVerify(request.jws, key, { algorithms: ["EdDSA"] }));
  } catch {
    throw unsigned(shape, `The ${shape.what}'s signature does not verify with the device's key.`);
  }
  const text = new TextDecoder().decode(bytes);
  const asOpened = text === request.text;
  const parsed = schema.safeParse(asOpened ? request.payload : jsonOf(text));
  if (!parsed.success) {
    throw invalid(
      parsed.error.issues.map((i) => ({
        in: "body" as const,
        path: `/${i.path.join("/")}`,
        message: i.message,
      })),
      shape.detail,
    );
  }
  if (Math.abs(now - Date.parse(parsed.data.signed_at)) > SIGNATURE_SKEW_MS) {
    throw unsigned(
      shape,
      `The ${shape.what} was signed more than 5 minutes from now: sign it again when sending it.`,
    );
  }
  return { device, payload: parsed.data, asOpened };
}

/** The device that signed `jws`, checked against its key; then the payload, parsed by `schema`. */
export async function verifiedDeviceRequest<T extends { signed_at: string }>(
  db: Db,
  jws: string,
  now: number,
  schema: z.ZodType<T>,
  shape: SignedShape,
): Promise<{ device: PosDeviceRow; payload: T }> {
  const request = openSigned(jws, shape);
  const [device] = await deviceRead(db, request.kid);
  const { payload } = await verifySigned(request, device, now, schema, shape);
  return { device: device as PosDeviceRow, payload };
}

function decodeSegment(segment: string): string {
  try {
    return new TextDecoder().decode(base64url.decode(segment));
  } catch {
    return "";
  }
}

function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
