/**
 * Rollup rows for the KPIs: exposures counted without a D1 write on the hot path. Quotes and holds are
 * counted in memory (a counter Durable Object) and flushed here in batches, one row per day and group.
 */
import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { creatorRef } from "./columns";

export const exposureKinds = ["quote", "hold", "hold_expired"] as const;

export const exposureCounts = sqliteTable(
  "exposure_counts",
  {
    creatorId: creatorRef(),
    /** UTC day, `YYYY-MM-DD`. */
    day: text("day").notNull(),
    kind: text("kind", { enum: exposureKinds }).notNull(),
    /** '' where the group does not apply (no drop, no experiment): part of the key, so never null. */
    offerId: text("offer_id").notNull().default(""),
    dropId: text("drop_id").notNull().default(""),
    source: text("source").notNull().default(""),
    experimentId: text("experiment_id").notNull().default(""),
    experimentArm: text("experiment_arm").notNull().default(""),
    count: integer("count").notNull(),
  },
  (t) => [
    primaryKey({
      columns: [t.creatorId, t.day, t.kind, t.offerId, t.dropId, t.source, t.experimentId, t.experimentArm],
    }),
  ],
);
