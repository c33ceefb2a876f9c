/** Column helpers shared by every table file (not part of the schema itself). */
import { integer, text } from "drizzle-orm/sqlite-core";
import { creators } from "./catalog";

export const createdAt = () => integer("created_at", { mode: "number" }).notNull();
export const updatedAt = () => integer("updated_at", { mode: "number" }).notNull();
/** Resolved lazily, so the import cycle with ./catalog (which uses these helpers) is harmless. */
export const creatorRef = () =>
  text("creator_id")
    .notNull()
    .references(() => creators.id);
