/** Physical fulfilment: the creator's hubs with their batching windows, and the rule that routes orders. */
import { index, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { createdAt, creatorRef, updatedAt } from "./columns";

export const fulfilmentStatuses = ["unfulfilled", "packed", "shipped", "delivered", "returned"] as const;
export const fulfilmentPaths = ["micro_hub", "central"] as const;

/**
 * `hub_…`: where physical orders are packed. `kind` is the fulfilment path it serves. A hub with a
 * batching window groups its orders into the next window: JSON `{ every_minutes, offset_minutes }`
 * (e.g. daily at 17:00 UTC is `{ every_minutes: 1440, offset_minutes: 1020 }`); null ships as it comes.
 */
export const fulfilmentHubs = sqliteTable(
  "fulfilment_hubs",
  {
    id: text("id").primaryKey(),
    creatorId: creatorRef(),
    name: text("name").notNull(),
    kind: text("kind", { enum: fulfilmentPaths }).notNull(),
    /** ISO 3166-1 alpha-2 country it sits in (informational). */
    country: text("country"),
    batchWindow: text("batch_window", { mode: "json" }).$type<{
      every_minutes: number;
      offset_minutes: number;
    }>(),
    status: text("status", { enum: ["active", "archived"] })
      .notNull()
      .default("active"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("fulfilment_hubs_creator_idx").on(t.creatorId, t.createdAt, t.id)],
);

/**
 * The creator's routing rule (one row per creator): JSON, an ordered list of conditions (country,
 * region, quantity, amount) each naming a path and hub, and the default when none matches. Pure code
 * (src/fulfilment/rules.ts) evaluates it when a physical order is paid.
 */
export const fulfilmentRules = sqliteTable("fulfilment_rules", {
  creatorId: creatorRef().primaryKey(),
  rules: text("rules", { mode: "json" }).notNull().$type<unknown>(),
  updatedAt: updatedAt(),
});
