/**
 * A device's signed batch: a compact JWS (EdDSA) under the device's id as `kid`, whose payload is the
 * batch. Items are parsed one by one later, so one bad item never fails the rest.
 */
import { z } from "@hono/zod-openapi";
import { CurrencySchema } from "../lib/currency";
import type { SignedShape } from "./signed";

export const MAX_ITEMS = 500;
/** How far in the future a `captured_at` may be: device clocks drift. */
export const CAPTURE_SKEW_MS = 5 * 60 * 1000;

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

/** A buyer's email as members are keyed by it. */
export const normalEmail = (email: string): string => email.trim().toLowerCase();

export const MAX_RELEASES = 50;

export const Payload = z
  .strictObject({
    batch_id: z.string().min(1).max(100),
    signed_at: z.iso.datetime({ offset: true }),
    /** The pop-up's name: members enrolled here record `pos:<event>` as where they came from. */
    event: z.string().trim().min(1).max(100).optional(),
    items: z.array(z.unknown()).max(MAX_ITEMS),
    /** Allotments the device is done with: after the items land, their unused units go back on sale. */
    release_allotments: z.array(z.string().min(1).max(64)).max(MAX_RELEASES).optional(),
  })
  .refine((b) => b.items.length > 0 || (b.release_allotments?.length ?? 0) > 0, {
    message: "A batch carries at least one item or one allotment to release.",
    path: ["items"],
  });
export type BatchPayload = z.infer<typeof Payload>;

/** How a batch's signature and shape are refused (signed.ts). */
export const batchShape: SignedShape = {
  code: "batch_signature_invalid",
  what: "batch",
  detail: `A batch has a batch_id, a signed_at time and up to ${MAX_ITEMS} items.`,
};
