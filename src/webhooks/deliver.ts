/**
 * One delivery attempt: claim the delivery (a lease, so a duplicate queue message or the cron's sweep
 * never sends it twice at once), sign the stored payload, POST it, and land the outcome in one batch:
 * succeeded; retry at the schedule's next time (or the receiver's Retry-After); failed once the
 * schedule is spent; on 410 the endpoint is disabled at once, and after five days of failing with no
 * success it is disabled too, each with an audit row the creator reads in its audit log.
 */
import { and, eq, isNotNull, lte, ne, sql } from "drizzle-orm";
import { auditWrite } from "../audit";
import type { Db, Write } from "../db/client";
import { webhookDeliveries, webhookEndpoints, webhookEvents } from "../db/schema";
import { ATTEMPT_TIMEOUT_MS, FAILING_DISABLE_AFTER_MS, type Outcome, outcomeOf } from "./schedule";
import { signatureHeader } from "./signature";
import type { WebhookFetch } from "./transport";

/** How long a claimed attempt blocks another: longer than the timeout, so a live attempt is never doubled. */
export const LEASE_MS = ATTEMPT_TIMEOUT_MS + 45_000;
export const USER_AGENT = "creator-commerce-webhooks/1";
const ACTOR = "system:webhooks";

export interface DeliveryDeps {
  db: Db;
  fetch: WebhookFetch;
  now: () => number;
  random: () => number;
  /** Sends a `deliver` message for the delivery, due after `delayMs`. */
  enqueue: (deliveryId: string, delayMs: number) => Promise<void>;
}

interface Claimed {
  id: string;
  creator_id: string;
  endpoint_id: string;
  attempts: number;
  url: string;
  endpoint_status: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: number | null;
  failing_since: number | null;
  event_id: string;
  payload: string;
}

export type AttemptResult =
  | { kind: "not_due"; retryInMs: number | null }
  | { kind: "paused" }
  | (Outcome & { status: number | null });

/** The headers of a delivery, as Standard Webhooks names them. */
export async function deliveryHeaders(
  secrets: readonly string[],
  eventId: string,
  timestampSeconds: number,
  body: string,
): Promise<Record<string, string>> {
  return {
    "content-type": "application/json",
    "user-agent": USER_AGENT,
    "webhook-id": eventId,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": await signatureHeader(secrets, eventId, timestampSeconds, body),
  };
}

async function claim(
  db: Db,
  deliveryId: string,
  now: number,
): Promise<Claimed | { due: number | null } | null> {
  const [claimed, current] = await db.batch([
    db
      .update(webhookDeliveries)
      .set({ nextAttemptAt: now + LEASE_MS, updatedAt: now })
      .where(
        and(
          eq(webhookDeliveries.id, deliveryId),
          eq(webhookDeliveries.status, "pending"),
          isNotNull(webhookDeliveries.nextAttemptAt),
          lte(webhookDeliveries.nextAttemptAt, now),
          sql`EXISTS (SELECT 1 FROM webhook_endpoints AS e
                      WHERE e.id = ${webhookDeliveries.endpointId} AND e.status = 'enabled')`,
        ),
      )
      .returning({ id: webhookDeliveries.id }),
    db
      // Aliased, every one: a batch answers rows keyed by column name, and three tables here have `id`.
      .select({
        id: sql<string>`${webhookDeliveries.id}`.as("id"),
        creator_id: sql<string>`${webhookDeliveries.creatorId}`.as("creator_id"),
        endpoint_id: sql<string>`${webhookDeliveries.endpointId}`.as("endpoint_id"),
        attempts: sql<number>`${webhookDeliveries.attempts}`.as("attempts"),
        status: sql<string>`${webhookDeliveries.status}`.as("status"),
        next_attempt_at: sql<number | null>`${webhookDeliveries.nextAttemptAt}`.as("next_attempt_at"),
        url: sql<string>`${webhookEndpoints.url}`.as("url"),
        endpoint_status: sql<string>`${webhookEndpoints.status}`.as("endpoint_status"),
        secret: sql<string>`${webhookEndpoints.secret}`.as("secret"),
        previous_secret: sql<string | null>`${webhookEndpoints.previousSecret}`.as("previous_secret"),
        previous_secret_expires_at: sql<number | null>`${webhookEndpoints.previousSecretExpiresAt}`.as(
          "previous_secret_expires_at",
        ),
        failing_since: sql<number | null>`${webhookEndpoints.failingSince}`.as("failing_since"),
        event_id: sql<string>`${webhookEvents.id}`.as("event_id"),
        payload: sql<string>`${webhookEvents.payload}`.as("payload"),
      })
      .from(webhookDeliveries)
      .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
      .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
      .where(eq(webhookDeliveries.id, deliveryId)),
  ]);
  const [row] = current;
  if (row === undefined) return null;
  if (claimed.length === 1) return row;
  return { due: row.status === "pending" && row.endpoint_status === "enabled" ? row.next_attempt_at : null };
}

/** Sends the delivery once if it is due; the outcome is stored before this returns. */
export async function attemptDelivery(deps: DeliveryDeps, deliveryId: string): Promise<AttemptResult> {
  const now = deps.now();
  const claimed = await claim(deps.db, deliveryId, now);
  if (claimed === null) return { kind: "paused" };
  if (!("payload" in claimed)) {
    return claimed.due === null ? { kind: "paused" } : { kind: "not_due", retryInMs: claimed.due - now };
  }
  const secrets = [claimed.secret];
  if (claimed.previous_secret !== null && (claimed.previous_secret_expires_at ?? 0) > now) {
    secrets.push(claimed.previous_secret);
  }
  const headers = await deliveryHeaders(secrets, claimed.event_id, Math.floor(now / 1000), claimed.payload);
  let status: number | null = null;
  let retryAfter: string | null = null;
  let error: string | null = null;
  try {
    const res = await deps.fetch(claimed.url, {
      method: "POST",
      headers,
      body: claimed.payload,
      redirect: "manual",
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
    });
    status = res.status;
    retryAfter = res.headers.get("retry-after");
    await res.body?.cancel();
  } catch (e) {
    error =
      e instanceof Error && e.name === "TimeoutError" ? "timeout" : `network: ${String(e).slice(0, 200)}`;
  }
  const at = deps.now();
  const attempts = claimed.attempts + 1;
  const outcome = outcomeOf({ status, retryAfter, attempts, now: at, random: deps.random() });
  await deps.db.batch(
    outcomeWrites(deps.db, claimed, { outcome, status, error, attempts, at, leaseFrom: now }),
  );
  if (outcome.kind === "retry") await deps.enqueue(deliveryId, outcome.at - at);
  return { ...outcome, status };
}

function outcomeWrites(
  db: Db,
  d: Claimed,
  p: {
    outcome: Outcome;
    status: number | null;
    error: string | null;
    attempts: number;
    at: number;
    leaseFrom: number;
  },
): [Write, ...Write[]] {
  const { outcome, at } = p;
  const lastError = p.error ?? (outcome.kind === "succeeded" ? null : `HTTP ${p.status}`);
  const deliveryStatus =
    outcome.kind === "succeeded" ? "succeeded" : outcome.kind === "retry" ? "pending" : "failed";
  const nextAttemptAt = outcome.kind === "retry" ? outcome.at : null;
  // Only the holder of this lease records its outcome; a stale one (the lease ran out) is dropped.
  const delivery = db
    .update(webhookDeliveries)
    .set({
      status: deliveryStatus,
      attempts: p.attempts,
      nextAttemptAt,
      lastAttemptAt: at,
      lastStatusCode: p.status,
      lastError,
      deliveredAt: outcome.kind === "succeeded" ? at : null,
      updatedAt: at,
    })
    .where(
      and(
        eq(webhookDeliveries.id, d.id),
        eq(webhookDeliveries.status, "pending"),
        eq(webhookDeliveries.nextAttemptAt, p.leaseFrom + LEASE_MS),
      ),
    );
  const endpoint = eq(webhookEndpoints.id, d.endpoint_id);
  if (outcome.kind === "succeeded") {
    return [
      delivery,
      db.update(webhookEndpoints).set({ lastSuccessAt: at, failingSince: null }).where(endpoint),
    ];
  }
  const failingSince = d.failing_since ?? at;
  const reason =
    outcome.kind === "gone" ? "gone" : at - failingSince >= FAILING_DISABLE_AFTER_MS ? "failing" : null;
  const writes: [Write, ...Write[]] = [
    delivery,
    db
      .update(webhookEndpoints)
      .set({ failingSince: sql`COALESCE(${webhookEndpoints.failingSince}, ${at})` })
      .where(endpoint),
  ];
  if (reason !== null) writes.push(...disableWrites(db, d, reason, at, p.status));
  return writes;
}

/** Disables an endpoint the worker gave up on, pauses its other deliveries, and says so in the audit log. */
function disableWrites(
  db: Db,
  d: Claimed,
  reason: "gone" | "failing",
  at: number,
  status: number | null,
): Write[] {
  return [
    db
      .update(webhookEndpoints)
      .set({ status: "disabled", disabledReason: reason, updatedAt: at })
      .where(and(eq(webhookEndpoints.id, d.endpoint_id), eq(webhookEndpoints.status, "enabled"))),
    auditWrite(
      { db, creatorId: d.creator_id, actor: ACTOR, now: at },
      "webhook_endpoint.disabled",
      { type: "webhook_endpoint", id: d.endpoint_id },
      { reason, last_status_code: status, delivery_id: d.id, failing_since: d.failing_since ?? at },
    ),
    db
      .update(webhookDeliveries)
      .set({ nextAttemptAt: null, updatedAt: at })
      .where(
        and(
          eq(webhookDeliveries.endpointId, d.endpoint_id),
          eq(webhookDeliveries.status, "pending"),
          ne(webhookDeliveries.id, d.id),
        ),
      ),
  ];
}
