/** The creator dashboard's sessions: short-lived, made from an API key, stored only as a SHA-256. */
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { apiKeys } from "./catalog";
import { createdAt, creatorRef } from "./columns";

export const dashboardSessions = sqliteTable(
  "dashboard_sessions",
  {
    /** SHA-256 (hex) of the session cookie's random value. */
    hash: text("hash").primaryKey(),
    creatorId: creatorRef(),
    /** The key it was made from: revoking the key ends the session. */
    apiKeyId: text("api_key_id")
      .notNull()
      .references(() => apiKeys.id),
    createdAt: createdAt(),
    expiresAt: integer("expires_at", { mode: "number" }).notNull(),
  },
  (t) => [index("dashboard_sessions_expires_idx").on(t.expiresAt)],
);
