/**
 * The creator's webhook endpoints: create, read, list, update (url, description, types, enable or
 * disable), rotate the secret, read it, list an endpoint's deliveries, redeliver one, send a test
 * event. Every change is audited in its own batch. Another creator's ids read as unknown (404).
 */
import { and, eq, sql } from "drizzle-orm";
import { auditWrite } from "../audit";
import type { Call, TenantContext } from "../context";
import { expectOneChange } from "../db/client";
import { listOwned } from "../db/keyset";
import { auditEvents, webhookDeliveries, webhookEndpoints, webhookEvents } from "../db/schema";
import { AppError, invalid, notFound } from "../errors";
import { newId } from "../lib/ids";
import { toIso } from "../lib/time";
import type {
  CreateEndpointInput,
  UpdateEndpointInput,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointWithSecret,
  WebhookSecret,
} from "./schemas";
import { generateSecret } from "./signature";
import {
  findDelivery,
  findEndpoint,
  listCreatorDeliveries,
  pauseDeliveries,
  renderDelivery,
  renderEndpoint,
  resumeDeliveries,
  type WebhookEndpointRow,
} from "./store";
import { endpointUrlProblem } from "./url";

/** How long the secret a rotation replaced keeps signing (a second signature) after it. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

export interface WebhookContext extends TenantContext {
  production: boolean;
  /** Sends `deliver` messages for deliveries due now. */
  enqueue(deliveryIds: string[]): Promise<void>;
}

function checkUrl(ctx: WebhookContext, url: string | undefined): void {
  if (url === undefined) return;
  const problem = endpointUrlProblem(url, ctx.production);
  if (problem !== null) throw invalid([{ in: "body", path: "/url", message: problem }]);
}

async function owned(ctx: TenantContext, id: string): Promise<WebhookEndpointRow> {
  const row = await findEndpoint(ctx.db, ctx.creatorId, id);
  if (row === undefined) throw notFound("webhook endpoint", id);
  return row;
}

const subject = (id: string) => ({ type: "webhook_endpoint", id });

export async function createEndpoint({
  ctx,
  input,
}: Call<CreateEndpointInput, WebhookContext>): Promise<WebhookEndpointWithSecret> {
  checkUrl(ctx, input.url);
  const row: WebhookEndpointRow = {
    id: newId("webhookEndpoint"),
    creatorId: ctx.creatorId,
    url: input.url,
    description: input.description ?? null,
    eventTypes: input.event_types ?? null,
    status: "enabled",
    disabledReason: null,
    secret: generateSecret(),
    previousSecret: null,
    previousSecretExpiresAt: null,
    failingSince: null,
    lastSuccessAt: null,
    createdAt: ctx.now,
    updatedAt: ctx.now,
  };
  const endpoint = renderEndpoint(row);
  // The stored response (for an Idempotency-Key replay) leaves the secret out; a replay reads it afresh.
  await ctx.commit(
    [
      ctx.db.insert(webhookEndpoints).values(row),
      auditWrite(ctx, "webhook_endpoint.created", subject(row.id), endpoint),
    ],
    endpoint,
  );
  return { ...endpoint, secret: row.secret };
}

export async function getEndpoint({ ctx, input }: Call<{ id: string }>): Promise<WebhookEndpoint> {
  return renderEndpoint(await owned(ctx, input.id));
}

export async function getEndpointSecret({ ctx, input }: Call<{ id: string }>): Promise<WebhookSecret> {
  const row = await owned(ctx, input.id);
  return { object: "webhook_secret", endpoint_id: row.id, secret: row.secret };
}

export async function listEndpoints({ ctx, input }: Call<{ limit: number; cursor?: string | undefined }>) {
  const listed = await listOwned(ctx.db, webhookEndpoints, {
    time: webhookEndpoints.createdAt,
    creatorId: ctx.creatorId,
    filter: undefined,
    query: input,
    position: (r) => ({ t: r.createdAt, id: r.id }),
  });
  return { ...listed, data: listed.data.map(renderEndpoint) };
}

export async function updateEndpoint({
  ctx,
  input,
}: Call<{ id: string; changes: UpdateEndpointInput }, WebhookContext>): Promise<WebhookEndpoint> {
  const { changes } = input;
  const existing = await owned(ctx, input.id);
  checkUrl(ctx, changes.url);
  const enabling = changes.status === "enabled" && existing.status !== "enabled";
  const disabling = changes.status === "disabled" && existing.status !== "disabled";
  const row: WebhookEndpointRow = {
    ...existing,
    url: changes.url ?? existing.url,
    description: changes.description === undefined ? existing.description : changes.description,
    eventTypes: changes.event_types === undefined ? existing.eventTypes : changes.event_types,
    status: changes.status ?? existing.status,
    disabledReason: enabling ? null : disabling ? "creator" : existing.disabledReason,
    failingSince: enabling ? null : existing.failingSince,
    updatedAt: ctx.now,
  };
  const endpoint = renderEndpoint(row);
  const results = (await ctx.commit(
    [
      ctx.db
        .update(webhookEndpoints)
        .set({
          url: row.url,
          description: row.description,
          eventTypes: row.eventTypes,
          status: row.status,
          disabledReason: row.disabledReason,
          failingSince: row.failingSince,
          updatedAt: row.updatedAt,
        })
        .where(and(eq(webhookEndpoints.creatorId, ctx.creatorId), eq(webhookEndpoints.id, existing.id))),
      auditWrite(ctx, "webhook_endpoint.updated", subject(existing.id), { changes }),
      enabling
        ? resumeDeliveries(ctx.db, existing.id, ctx.now)
        : pauseDeliveries(ctx.db, existing.id, ctx.now),
    ].slice(0, enabling || disabling ? 3 : 2),
    endpoint,
  )) as unknown[];
  if (enabling) {
    const resumed = (results[2] as { id: string }[] | undefined) ?? [];
    await ctx.enqueue(resumed.map((r) => r.id));
  }
  return endpoint;
}

export async function rotateSecret({
  ctx,
  input,
}: Call<{ id: string }, WebhookContext>): Promise<WebhookEndpointWithSecret> {
  const existing = await owned(ctx, input.id);
  const secret = generateSecret();
  const row: WebhookEndpointRow = {
    ...existing,
    secret,
    previousSecret: existing.secret,
    previousSecretExpiresAt: ctx.now + ROTATION_OVERLAP_MS,
    updatedAt: ctx.now,
  };
  const endpoint = renderEndpoint(row);
  await ctx.commit(
    [
      // Guarded on the secret we read: two rotations at once cannot both keep "the previous" one.
      ctx.db
        .update(webhookEndpoints)
        .set({
          secret,
          previousSecret: row.previousSecret,
          previousSecretExpiresAt: row.previousSecretExpiresAt,
          updatedAt: ctx.now,
        })
        .where(and(eq(webhookEndpoints.id, existing.id), eq(webhookEndpoints.secret, existing.secret))),
      expectOneChange(ctx.db),
      auditWrite(ctx, "webhook_endpoint.secret_rotated", subject(existing.id), {
        previous_secret_expires_at: toIso(ctx.now + ROTATION_OVERLAP_MS),
      }),
    ],
    endpoint,
  );
  return { ...endpoint, secret };
}

export async function listDeliveries({
  ctx,
  input,
}: Call<{
  endpoint_id?: string | undefined;
  limit: number;
  cursor?: string | undefined;
  status?: "pending" | "succeeded" | "failed" | undefined;
}>) {
  // Another creator's endpoint id is unknown here, as everywhere.
  if (input.endpoint_id !== undefined) await owned(ctx, input.endpoint_id);
  return listCreatorDeliveries(ctx.db, {
    creatorId: ctx.creatorId,
    endpointId: input.endpoint_id,
    status: input.status,
    query: input,
  });
}

const endpointDisabled = (id: string) =>
  new AppError("conflict", `Webhook endpoint ${id} is disabled: enable it first (PATCH status "enabled").`);

/** Sends a delivery again from the start of the schedule, whatever became of it. */
export async function redeliver({
  ctx,
  input,
}: Call<{ id: string }, WebhookContext>): Promise<WebhookDelivery> {
  const found = await findDelivery(ctx.db, ctx.creatorId, input.id);
  if (found === undefined) throw notFound("webhook delivery", input.id);
  const endpoint = await owned(ctx, found.endpointId);
  if (endpoint.status !== "enabled") throw endpointDisabled(endpoint.id);
  const reset = {
    status: "pending" as const,
    attempts: 0,
    nextAttemptAt: ctx.now,
    deliveredAt: null,
    updatedAt: ctx.now,
  };
  const delivery = renderDelivery({ ...found, ...reset });
  await ctx.commit(
    [
      ctx.db
        .update(webhookDeliveries)
        .set(reset)
        .where(and(eq(webhookDeliveries.creatorId, ctx.creatorId), eq(webhookDeliveries.id, found.id))),
      auditWrite(
        ctx,
        "webhook_delivery.redelivered",
        { type: "webhook_delivery", id: found.id },
        {
          endpoint_id: found.endpointId,
          event_id: found.eventId,
          previous_status: found.status,
          previous_attempts: found.attempts,
        },
      ),
    ],
    delivery,
  );
  await ctx.enqueue([found.id]);
  return delivery;
}

/** A `webhook.test` event for this endpoint alone, delivered like any other. */
export async function sendTestEvent({
  ctx,
  input,
}: Call<{ id: string }, WebhookContext>): Promise<WebhookDelivery> {
  const endpoint = await owned(ctx, input.id);
  if (endpoint.status !== "enabled") throw endpointDisabled(endpoint.id);
  const [auditId, eventId, deliveryId] = [newId("audit"), newId("webhookEvent"), newId("webhookDelivery")];
  const delivery = {
    id: deliveryId,
    creatorId: ctx.creatorId,
    endpointId: endpoint.id,
    eventId,
    status: "pending" as const,
    attempts: 0,
    nextAttemptAt: ctx.now,
    createdAt: ctx.now,
    updatedAt: ctx.now,
  };
  const payload = JSON.stringify({
    type: "webhook.test",
    timestamp: toIso(ctx.now),
    data: {
      subject: subject(endpoint.id),
      seq: 0,
      creator_id: ctx.creatorId,
      audit_id: auditId,
      actor: ctx.actor,
      changes: { message: "A test event sent from the API." },
    },
  });
  const results = (await ctx.commit(
    [
      ctx.db.insert(auditEvents).values({
        id: auditId,
        creatorId: ctx.creatorId,
        actor: ctx.actor,
        action: "webhook_endpoint.tested",
        subjectType: "webhook_endpoint",
        subjectId: endpoint.id,
        data: JSON.stringify({ event_id: eventId, delivery_id: deliveryId }),
        createdAt: ctx.now,
      }),
      ctx.db
        .insert(webhookEvents)
        .select(sql`
          SELECT ${eventId}, ${ctx.creatorId}, ${auditId}, 'webhook.test', 'webhook_endpoint', ${endpoint.id},
                 s.seq, json_set(${payload}, '$.data.seq', s.seq), ${ctx.now}
          FROM (SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM webhook_events
                WHERE creator_id = ${ctx.creatorId} AND subject_id = ${endpoint.id}) AS s
          WHERE true`)
        .returning({ seq: webhookEvents.seq }),
      ctx.db.insert(webhookDeliveries).values(delivery),
    ],
    null,
  )) as unknown[];
  const [inserted] = (results[1] as { seq: number }[] | undefined) ?? [];
  await ctx.enqueue([deliveryId]);
  return renderDelivery({
    ...delivery,
    lastAttemptAt: null,
    lastStatusCode: null,
    lastError: null,
    deliveredAt: null,
    event: {
      type: "webhook.test",
      subjectType: "webhook_endpoint",
      subjectId: endpoint.id,
      seq: inserted?.seq ?? 1,
    },
  });
}
