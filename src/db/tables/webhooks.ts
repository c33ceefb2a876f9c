/**
 * Outbound webhooks (Standard Webhooks 1.0): a creator's endpoints, the events made from its audit log,
 * and one delivery per event per endpoint. The audit log is the outbox: every state change already
 * writes an audit row in the same batch as the change, so nothing can change without an event to send.
 */
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, creatorRef, updatedAt } from "./columns";

export const webhookEndpointStatuses = ["enabled", "disabled"] as const;

/** `we_…`: where a creator's events go, signed with its `whsec_` secret. */
export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    creatorId: creatorRef(),
    url: text("url").notNull(),
    description: text("description"),
    /** JSON array of event types it wants; null: every type. */
    eventTypes: text("event_types", { mode: "json" }).$type<string[]>(),
    status: text("status", { enum: webhookEndpointStatuses }).notNull().default("enabled"),
    /** Why it was disabled: `creator`, `gone` (the receiver answered 410) or `failing` (sustained failure). */
    disabledReason: text("disabled_reason"),
    /** `whsec_` + base64 of 24 random bytes, as the spec serialises it. Needed in full to sign. */
    secret: text("secret").notNull(),
    /** The secret a rotation replaced, still signing (a second signature) until `previous_secret_expires_at`. */
    previousSecret: text("previous_secret"),
    previousSecretExpiresAt: integer("previous_secret_expires_at", { mode: "number" }),
    /** First failed attempt since the last success; null while healthy. */
    failingSince: integer("failing_since", { mode: "number" }),
    lastSuccessAt: integer("last_success_at", { mode: "number" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("webhook_endpoints_creator_idx").on(t.creatorId, t.createdAt, t.id)],
);

/**
 * `evt_…` (the `webhook-id`): one per audit row that maps to a public event type, made once (unique on
 * the audit row). `seq` counts this subject's events, 1, 2, 3…, so a receiver can drop a stale one.
 */
export const webhookEvents = sqliteTable(
  "webhook_events",
  {
    id: text("id").primaryKey(),
    creatorId: creatorRef(),
    auditId: text("audit_id").notNull(),
    type: text("type").notNull(),
    subjectType: text("subject_type").notNull(),
    subjectId: text("subject_id").notNull(),
    seq: integer("seq").notNull(),
    /** JSON of the Standard Webhooks body: `{ type, timestamp, data }`, signed as stored. */
    payload: text("payload").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("webhook_events_audit_unique").on(t.auditId),
    uniqueIndex("webhook_events_subject_seq_unique").on(t.creatorId, t.subjectId, t.seq),
    index("webhook_events_creator_created_idx").on(t.creatorId, t.createdAt, t.id),
  ],
);

export const webhookDeliveryStatuses = ["pending", "succeeded", "failed"] as const;

/** One event to one endpoint: attempted until it succeeds or the retry schedule runs out. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    creatorId: creatorRef(),
    endpointId: text("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id),
    eventId: text("event_id")
      .notNull()
      .references(() => webhookEvents.id),
    status: text("status", { enum: webhookDeliveryStatuses }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    /** When the next attempt is due; the cron re-enqueues a pending delivery this far overdue. */
    nextAttemptAt: integer("next_attempt_at", { mode: "number" }),
    lastAttemptAt: integer("last_attempt_at", { mode: "number" }),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    deliveredAt: integer("delivered_at", { mode: "number" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_endpoint_event_unique").on(t.endpointId, t.eventId),
    index("webhook_deliveries_due_idx").on(t.status, t.nextAttemptAt),
    index("webhook_deliveries_endpoint_idx").on(t.creatorId, t.endpointId, t.createdAt, t.id),
  ],
);

/** The dispatcher's place in the audit log: the last audit `rowid` turned into events (one row, id 1). */
export const webhookCursor = sqliteTable("webhook_cursor", {
  id: integer("id").primaryKey(),
  lastRowid: integer("last_rowid").notNull().default(0),
  updatedAt: updatedAt(),
});
