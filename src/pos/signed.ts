/**
 * Requests a point-of-sale device signs: a compact JWS (EdDSA) under the device's id as `kid`, whose
 * payload carries a `signed_at` time. An unknown device, a bad signature or a stale signing time is 401,
 * a revoked device 403, and nothing is written. Batches and allotment claims both arrive this way.
 */
import { eq } from "drizzle-orm";
import { compactVerify, decodeProtectedHeader, importJWK } from "jose";
import type { z } from "zod";
import type { Db } from "../db/client";
import { type PosDeviceRow, posDevices } from "../db/schema";
import { AppError, invalid } from "../errors";

/** How far `signed_at` may be from the worker's clock: a captured request cannot be replayed later. */
export const SIGNATURE_SKEW_MS = 5 * 60 * 1000;

type SignatureCode = "batch_signature_invalid" | "claim_signature_invalid";

/** The device that signed `jws`, checked against its key; then the payload, parsed by `schema`. */
export async function verifiedDeviceRequest<T extends { signed_at: string }>(
  db: Db,
  jws: string,
  now: number,
  schema: z.ZodType<T>,
  shape: { code: SignatureCode; what: string; detail: string },
): Promise<{ device: PosDeviceRow; payload: T }> {
  const unsigned = (detail: string) =>
    new AppError(shape.code, detail, {
      headers: { "www-authenticate": 'Signature realm="creator-commerce-pos"' },
    });
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(jws).kid;
  } catch {
    throw unsigned("The body must be a compact JWS signed by a registered device.");
  }
  if (typeof kid !== "string") throw unsigned(`The ${shape.what}'s JWS header names no device (kid).`);
  const [device] = await db.select().from(posDevices).where(eq(posDevices.id, kid)).limit(1);
  if (device === undefined) throw unsigned("No registered device has that kid.");
  if (device.revokedAt !== null)
    throw new AppError("device_revoked", `This device was revoked; its ${shape.what}s are refused.`);
  let bytes: Uint8Array;
  try {
    const key = await importJWK(JSON.parse(device.publicJwk) as Record<string, string>, "EdDSA");
    ({ payload: bytes } = await compactVerify(jws, key, { algorithms: ["EdDSA"] }));
  } catch {
    throw unsigned(`The ${shape.what}'s signature does not verify with the device's key.`);
  }
  const parsed = schema.safeParse(jsonOf(bytes));
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
      `The ${shape.what} was signed more than 5 minutes from now: sign it again when sending it.`,
    );
  }
  return { device, payload: parsed.data };
}

function jsonOf(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}
