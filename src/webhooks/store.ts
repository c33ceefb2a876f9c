import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../db/client";
import { keyset } from "../db/keyset";
import { webhookDeliveries, webhookEndpoints, webhookEvents } from "../db/schema";
import { toIso, toIsoOrNull } from "../lib/time";
import type { WebhookDelivery, WebhookEndpoint } from "./schemas";

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;

/** The API view of an endpoint: never its secret. Pure, so a write can answer what it stores. */
export function renderEndpoint(row: WebhookEndpointRow): WebhookEndpoint {
  return {
    id: row.id,
    object: "webhook_endpoint",
    url: row.url,
    description: row.description,
    event_types: row.eventTypes,
    status: row.status,
    disabled_reason: row.disabledReason,
    failing_since: toIsoOrNull(row.failingSince),
    last_success_at: toIsoOrNull(row.lastSuccessAt),
    previous_secret_expires_at: toIsoOrNull(row.previousSecretExpiresAt),
    created_at: toIso(row.createdAt),
    updated_at: toIso(row.updatedAt),
  };
}

type DeliveryWithEvent = WebhookDeliveryRow & {
  event: { type: string; subjectType: string; subjectId: string; seq: number };
};

export function renderDelivery(row: DeliveryWithEvent): WebhookDelivery {
  return {
    id: row.id,
    object: "webhook_delivery",
    endpoint_id: row.endpointId,
    event: {
      id: row.eventId,
      type: row.event.type,
      subject: { type: row.event.subjectType, id: row.event.subjectId },
      seq: row.event.seq,
    },
    status: row.status,
    attempts: row.attempts,
    next_attempt_at: toIsoOrNull(row.nextAttemptAt),
    last_attempt_at: toIsoOrNull(row.lastAttemptAt),
    last_status_code: row.lastStatusCode,
    last_error: row.lastError,
    delivered_at: toIsoOrNull(row.deliveredAt),
    created_at: toIso(row.createdAt),
  };
}

export async function findEndpoint(
  db: Db,
  creatorId: string,
  id: string,
): Promise<WebhookEndpointRow | undefined> {
  const [row] = await db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.creatorId, creatorId), eq(webhookEndpoints.id, id)))
    .limit(1);
  return row;
}

const deliveryColumns = {
  delivery: webhookDeliveries,
  type: webhookEvents.type,
  subjectType: webhookEvents.subjectType,
  subjectId: webhookEvents.subjectId,
  seq: webhookEvents.seq,
};

const withEvent = (r: {
  delivery: WebhookDeliveryRow;
  type: string;
  subjectType: string;
  subjectId: string;
  seq: number;
}): DeliveryWithEvent => ({
  ...r.delivery,
  event: { type: r.type, subjectType: r.subjectType, subjectId: r.subjectId, seq: r.seq },
});

export async function findDelivery(
  db: Db,
  creatorId: string,
  id: string,
): Promise<DeliveryWithEvent | undefined> {
  const [row] = await db
    .select(deliveryColumns)
    .from(webhookDeliveries)
    .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
    .where(and(eq(webhookDeliveries.creatorId, creatorId), eq(webhookDeliveries.id, id)))
    .limit(1);
  return row === undefined ? undefined : withEvent(row);
}

/** One page of the creator's deliveries (of one endpoint, when named), newest first. */
export async function listCreatorDeliveries(
  db: Db,
  p: {
    creatorId: string;
    endpointId?: string | undefined;
    status?: WebhookDeliveryRow["status"] | undefined;
    query: { limit: number; cursor?: string | undefined };
  },
) {
  const page = keyset(webhookDeliveries.createdAt, webhookDeliveries.id, p.query);
  const rows = await db
    .select(deliveryColumns)
    .from(webhookDeliveries)
    .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
    .where(
      and(
        eq(webhookDeliveries.creatorId, p.creatorId),
        p.endpointId === undefined ? undefined : eq(webhookDeliveries.endpointId, p.endpointId),
        p.status === undefined ? undefined : eq(webhookDeliveries.status, p.status),
        page.where,
      ),
    )
    .orderBy(...page.orderBy)
    .limit(page.fetch);
  return page.page(rows.map(withEvent), (r) => ({ t: r.createdAt, id: r.id }), renderDelivery);
}

/** Pending deliveries of an endpoint, paused (no next attempt) or resumed now, as a batch statement. */
export const pauseDeliveries = (db: Db, endpointId: string, now: number) =>
  db
    .update(webhookDeliveries)
    .set({ nextAttemptAt: null, updatedAt: now })
    .where(and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.status, "pending")))
    .returning({ id: webhookDeliveries.id });
export const resumeDeliveries = (db: Db, endpointId: string, now: number) =>
  db
    .update(webhookDeliveries)
    .set({ nextAttemptAt: now, updatedAt: now })
    .where(
      and(
        eq(webhookDeliveries.endpointId, endpointId),
        eq(webhookDeliveries.status, "pending"),
        isNull(webhookDeliveries.nextAttemptAt),
      ),
    )
    .returning({ id: webhookDeliveries.id });
