import { z } from "@hono/zod-openapi";

export const DevicePublicJwk = z
  .strictObject({
    kty: z.literal("OKP"),
    crv: z.literal("Ed25519"),
    x: z.string().regex(/^[A-Za-z0-9_-]{43}$/, "base64url of the 32-byte public key"),
    alg: z.literal("EdDSA").optional(),
    use: z.literal("sig").optional(),
    kid: z.string().max(64).optional(),
  })
  .openapi("DevicePublicJwk", {
    description: "The device's Ed25519 public key. Never send the private part (`d`).",
  });

const Limits = {
  max_units_per_transaction: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .openapi({ description: "Units one item may carry." }),
  max_offline_units: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .openapi({ description: "Units the device may sell offline within one offline window." }),
  offline_window_hours: z
    .number()
    .int()
    .min(1)
    .max(72)
    .openapi({ description: "How old an item may be when it syncs: at most 72 hours." }),
};

export const RegisterDeviceBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    public_key: DevicePublicJwk,
    ...Limits,
  })
  .openapi("RegisterDevice");
export type RegisterDeviceInput = z.infer<typeof RegisterDeviceBody>;

export const DeviceSchema = z
  .object({
    id: z.string().openapi({ description: "Also the `kid` the device signs its batches under." }),
    object: z.literal("pos_device"),
    name: z.string(),
    public_key: z.object({ kty: z.literal("OKP"), crv: z.literal("Ed25519"), x: z.string() }),
    max_units_per_transaction: z.number().int(),
    max_offline_units: z.number().int(),
    offline_window_hours: z.number().int(),
    revoked_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("PosDevice");
export type Device = z.infer<typeof DeviceSchema>;
