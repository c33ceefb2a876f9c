/** Pop-up point of sale: the creator's registered devices, and each offline item's result, kept once. */
import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { drops } from "./catalog";
import { createdAt, creatorRef, updatedAt } from "./columns";

/** A device that may sync offline sales: it signs each batch with the Ed25519 key registered here. */
export const posDevices = sqliteTable(
  "pos_devices",
  {
    /** `dev_…`: also the `kid` its batches are signed under. */
    id: text("id").primaryKey(),
    creatorId: creatorRef(),
    name: text("name").notNull(),
    /** The device's public key as a JWK (`kty` OKP, `crv` Ed25519, `x`). */
    publicJwk: text("public_jwk").notNull(),
    /** Units one item (one transaction) may carry. */
    maxUnitsPerTransaction: integer("max_units_per_transaction").notNull(),
    /** Units the device may sell offline within one window, across its items. */
    maxOfflineUnits: integer("max_offline_units").notNull(),
    /** How old an item's `captured_at` may be when it syncs, at most 72 hours. */
    offlineWindowHours: integer("offline_window_hours").notNull(),
    revokedAt: integer("revoked_at", { mode: "number" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("pos_devices_creator_created_idx").on(t.creatorId, t.createdAt, t.id),
    check("pos_devices_window", sql`${t.offlineWindowHours} BETWEEN 1 AND 72`),
  ],
);

/**
 * What happened to each offline item, keyed by the device's own id for it: written in the same batch as
 * the item's member, order and entitlement, so a replay (any device, any batch) finds it and gets the
 * same answer, and nothing is applied twice.
 */
export const posItemResults = sqliteTable(
  "pos_item_results",
  {
    creatorId: creatorRef(),
    /** The client-generated UUID of the item. */
    clientId: text("client_id").notNull(),
    deviceId: text("device_id").notNull(),
    batchId: text("batch_id").notNull(),
    /** Units the item sold and when it was captured: the device's offline total counts them. */
    units: integer("units").notNull(),
    capturedAt: integer("captured_at", { mode: "number" }).notNull(),
    /** JSON of the accepted result: member, order and entitlement ids. */
    result: text("result").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.creatorId, t.clientId] }),
    index("pos_item_results_device_idx").on(t.deviceId, t.capturedAt),
  ],
);

/**
 * Units of a drop a device claimed while online, to sell offline. The drop's Durable Object holds the
 * units (a long hold under `pos:<device>`) and counts what offline sales consumed; this row is the
 * registry: whose it is, which drop, and the claim it came from.
 */
export const posAllotments = sqliteTable(
  "pos_allotments",
  {
    /** `alt_…`: also the hold's id in the drop's object. */
    id: text("id").primaryKey(),
    creatorId: creatorRef(),
    deviceId: text("device_id")
      .notNull()
      .references(() => posDevices.id),
    dropId: text("drop_id")
      .notNull()
      .references(() => drops.id),
    /** The device's own id for the claim: claiming again with it answers the same allotment. */
    claimId: text("claim_id").notNull(),
    /** Units claimed (the object may grant fewer than asked, with allow_partial). */
    quantity: integer("quantity").notNull(),
    expiresAt: integer("expires_at", { mode: "number" }).notNull(),
    releasedAt: integer("released_at", { mode: "number" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("pos_allotments_device_claim_unique").on(t.deviceId, t.claimId),
    index("pos_allotments_creator_created_idx").on(t.creatorId, t.createdAt, t.id),
  ],
);
