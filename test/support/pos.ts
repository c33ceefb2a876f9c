import { CompactSign, exportJWK, generateKeyPair } from "jose";
import { api, type Json } from "./api";
import type { Tenant } from "./tenants";

/** A registered device and the private key it signs with, as a POS app would hold them. */
export async function posDevice(tenant: Tenant, limits: Record<string, unknown> = {}) {
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { extractable: true });
  const { kty, crv, x } = await exportJWK(publicKey);
  const res = await api("POST", "/v1/pos/devices", {
    key: tenant.key,
    body: {
      name: "Pop-up tablet",
      public_key: { kty, crv, x },
      max_units_per_transaction: 5,
      max_offline_units: 1000,
      offline_window_hours: 72,
      ...limits,
    },
  });
  if (res.status !== 201) throw new Error(`device refused: ${JSON.stringify(res.body)}`);
  return { id: res.body.id as string, privateKey };
}

export type Device = Awaited<ReturnType<typeof posDevice>>;

export async function signBatch(
  device: { id: string; privateKey: CryptoKey },
  payload: Record<string, unknown>,
  kid = device.id,
): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: "EdDSA", kid })
    .sign(device.privateKey);
}

export const sendBatch = (jws: string) =>
  api("POST", "/v1/pos/reconcile", { raw: jws, headers: { "content-type": "application/jose" } });

export async function syncItems(
  device: Device,
  items: Json[],
  batchId = crypto.randomUUID(),
  event = "spring-market",
) {
  return sendBatch(
    await signBatch(device, { batch_id: batchId, signed_at: new Date().toISOString(), event, items }),
  );
}

/** A one-unit cash sale of the offer to a new buyer: what a POS app buffers (the reference client too). */
export const saleOf = (offerId: string) => ({
  email: `fan-${crypto.randomUUID()}@example.test`,
  offer_id: offerId,
  quantity: 1,
  amount: 500,
  currency: "USD",
  payment: { method: "cash" as const },
});

/** The sale as the worker receives it: with the device's client id and capture time (an hour ago). */
export const posItem = (offerId: string, overrides: Record<string, unknown> = {}) => ({
  client_id: crypto.randomUUID(),
  captured_at: new Date(Date.now() - 3600_000).toISOString(),
  ...saleOf(offerId),
  ...overrides,
});

/** A device claims units of a drop (a signed claim); `claim_id` defaults to a fresh one. */
export async function claimUnits(
  device: Device,
  dropId: string,
  quantity: number,
  extra: Record<string, unknown> = {},
) {
  const payload = {
    claim_id: crypto.randomUUID(),
    signed_at: new Date().toISOString(),
    drop_id: dropId,
    quantity,
    ...extra,
  };
  return api("POST", "/v1/pos/allotments", {
    raw: await signBatch(device, payload),
    headers: { "content-type": "application/jose" },
  });
}

/** A batch that releases allotments after its items (which may be none). */
export async function syncAndRelease(device: Device, items: Json[], release: string[]) {
  return sendBatch(
    await signBatch(device, {
      batch_id: crypto.randomUUID(),
      signed_at: new Date().toISOString(),
      items,
      release_allotments: release,
    }),
  );
}
