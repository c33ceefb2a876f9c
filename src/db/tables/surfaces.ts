/** What buyer-facing browser surfaces need: checkout links, the origins a creator allows, overlay tokens. */
import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { drops, offers } from "./catalog";
import { createdAt, creatorRef, updatedAt } from "./columns";

export const linkStatuses = ["active", "archived"] as const;

/**
 * A checkout link (`lnk_…`): a hosted page at /l/{id} selling one offer, or one drop of it, on the
 * terms baked in here. Archived links answer 410 on the page; the row stays for attribution.
 */
export const checkoutLinks = sqliteTable(
  "checkout_links",
  {
    id: text("id").primaryKey(),
    creatorId: creatorRef(),
    offerId: text("offer_id")
      .notNull()
      .references(() => offers.id),
    dropId: text("drop_id").references(() => drops.id),
    /** Shown on the page above the offer's own name; null: the offer's (or drop's) title alone. */
    title: text("title"),
    quantity: integer("quantity").notNull().default(1),
    /** Asked-for currency; null: the buyer's country decides, as a quote does. */
    currency: text("currency"),
    coupon: text("coupon"),
    /** The order source the page's checkouts carry: `link` unless the creator names another. */
    source: text("source", { enum: ["link", "overlay", "pos", "api"] })
      .notNull()
      .default("link"),
    /** JSON object of attribution tags (campaign, stream, placement…) stored with each order. */
    attribution: text("attribution", { mode: "json" }).$type<Record<string, string>>(),
    /** Where the page sends the buyer after success (the widget can cancel it); null: stay. */
    successUrl: text("success_url"),
    status: text("status", { enum: linkStatuses }).notNull().default("active"),
    archivedAt: integer("archived_at", { mode: "number" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("checkout_links_creator_created_idx").on(t.creatorId, t.createdAt, t.id),
    check("checkout_links_quantity", sql`${t.quantity} BETWEEN 1 AND 100`),
  ],
);

/**
 * The web origins (`https://shop.example.com`) a creator lets call its public buyer routes from a
 * browser and embed its checkout pages: the CORS allow-list and the pages' frame-ancestors.
 */
export const creatorOrigins = sqliteTable(
  "creator_origins",
  {
    creatorId: creatorRef(),
    origin: text("origin").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.creatorId, t.origin] }), index("creator_origins_origin_idx").on(t.origin)],
);

/**
 * The read-only token in a drop's overlay URL (/overlay/{drop}?token=…). Only its SHA-256 is kept;
 * rotating replaces the row, so a leaked URL stops working at once and never grants anything else.
 */
export const overlayTokens = sqliteTable("overlay_tokens", {
  dropId: text("drop_id")
    .primaryKey()
    .references(() => drops.id),
  creatorId: creatorRef(),
  hash: text("hash").notNull(),
  /** The checkout link the overlay's QR code points at; null: none shown. */
  linkId: text("link_id").references(() => checkoutLinks.id),
  createdAt: createdAt(),
  rotatedAt: integer("rotated_at", { mode: "number" }),
});
