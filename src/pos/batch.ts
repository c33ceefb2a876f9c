/**
 * A device's signed batch: a compact JWS (EdDSA) under the device's id as `kid`, whose payload is the
 * batch. An unknown device, a bad signature or a stale signing time is 401, a revoked device 403, and
 * nothing is written. Items are parsed one by one, so one bad item never fails the rest.
 */
import { z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { compactVerify, decodeProtectedHeader, importJWK } from "jose";
import type { Db } from "../db/client";
import { type PosDeviceRow, posDevices } from "../db/schema";
import { AppError, invalid } from "../errors";
import { CurrencySchema } from "../lib/currency";

export const MAX_ITEMS = 500;
/** How far a batch's `signed_at` may be from the worker's clock: a captured batch cannot be replayed later. */
export const SIGNATURE_SKEW_MS = 5 * 60 * 1000;

export const PosItem = z.strictObject({
  client_id: z.uuid(),
  captured_at: z.iso.datetime({ offset: true }),
  email: z.email().max(254),
  offer_id: z.string().min(1).max(64),
  quantity: z.number().int().min(1).max(1000),
  /** The price charged for the whole item, in minor units. */
  amount: z.number().int().min(0),
  currency: CurrencySchema,
  payment: z.strictObject({
    method: z.enum(["cash", "card_offline", "pay_later"]),
    reference: z.string().max(100).optional(),
  }),
  allotment_id: z.string().min(1).max(64).optional(),
});
export type PosItemInput = z.infer<typeof PosItem>;

const Payload = z.strictObject({
  batch_id: z.string().min(1).max(100),
  signed_at: z.iso.datetime({ offset: true }),
  /** The pop-up's name: members enrolled here record `pos:<event>` as where they came from. */
  event: z.string().trim().min(1).max(100).optional(),
  items: z.array(z.unknown()).min(1).max(MAX_ITEMS),
});
export type BatchPayload = z.infer<typeof Payload>;

const unsigned = (detail: string) =>
  new AppError("batch_signature_invalid", detail, {
    headers: { "www-authenticate": 'Signature realm="creator-commerce-pos"' },
  });

/** The device a batch names, checked against its signature; then the batch itself. */
export async function verifiedBatch(
  db: Db,
  jws: string,
  now: number,
): Promise<{ device: PosDeviceRow; batch: BatchPayload }> {
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(jws).kid;
  } catch {
    throw unsigned("The body must be a compact JWS signed by a registered device.");
  }
  if (typeof kid !== "string") throw unsigned("The batch's JWS header names no device (kid).");
  const [device] = await db.select().from(posDevices).where(eq(posDevices.id, kid)).limit(1);
  if (device === undefined) throw unsigned("No registered device has that kid.");
  if (device.revokedAt !== null)
    throw new AppError("device_revoked", "This device was revoked; its batches are refused.");
  let payload: Uint8Array;
  try {
    const key = await importJWK(JSON.parse(device.publicJwk) as Record<string, string>, "EdDSA");
    ({ payload } = await compactVerify(jws, key, { algorithms: ["EdDSA"] }));
  } catch {
    throw unsigned("The batch's signature does not verify with the device's key.");
  }
  const parsed = Payload.safeParse(jsonOf(payload));
  if (!parsed.success) {
    throw invalid(
      parsed.error.issues.map((i) => ({
        in: "body" as const,
        path: `/${i.path.join("/")}`,
        message: i.message,
      })),
      `A batch has a batch_id, a signed_at time and 1 to ${MAX_ITEMS} items.`,
    );
  }
  if (Math.abs(now - Date.parse(parsed.data.signed_at)) > SIGNATURE_SKEW_MS) {
    throw unsigned("The batch was signed more than 5 minutes from now: sign it again when sending it.");
  }
  return { device, batch: parsed.data };
}

function jsonOf(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}
