import { z } from "@hono/zod-openapi";
import { webhookDeliveryStatuses, webhookEndpointStatuses } from "../db/schema";
import { eventTypes } from "./event-types";

const Instant = z.string().openapi({ format: "date-time" });

const EventTypes = z
  .array(z.enum(eventTypes))
  .min(1)
  .max(eventTypes.length)
  .refine((types) => new Set(types).size === types.length, "must not repeat a type")
  .openapi({ description: "The event types it receives; omit (or null) for every type." });

const Url = z.url().max(2000).openapi({
  example: "https://example.com/webhooks/commerce",
  description: "https (plain http only to localhost outside production); never a private or loopback host.",
});

const Description = z.string().max(500);

export const CreateWebhookEndpointBody = z
  .strictObject({
    url: Url,
    description: Description.optional(),
    event_types: EventTypes.optional(),
  })
  .openapi("CreateWebhookEndpoint");

export const UpdateWebhookEndpointBody = z
  .strictObject({
    url: Url.optional(),
    description: Description.nullable().optional(),
    event_types: EventTypes.nullable().optional(),
    status: z
      .enum(webhookEndpointStatuses)
      .optional()
      .openapi({ description: "`disabled` stops deliveries; `enabled` resumes the paused ones." }),
  })
  .openapi("UpdateWebhookEndpoint");

export const EmptyBody = z.strictObject({}).openapi("WebhookEmptyBody");

export const WebhookEndpointSchema = z
  .object({
    id: z.string().openapi({ example: "we_3f9k2m…" }),
    object: z.literal("webhook_endpoint"),
    url: z.string(),
    description: z.string().nullable(),
    event_types: z.array(z.string()).nullable(),
    status: z.enum(webhookEndpointStatuses),
    disabled_reason: z.string().nullable().openapi({
      description: "`creator`, `gone` (the receiver answered 410) or `failing` (5 days of failures).",
    }),
    failing_since: Instant.nullable(),
    last_success_at: Instant.nullable(),
    previous_secret_expires_at: Instant.nullable().openapi({
      description: "Until then the secret a rotation replaced still signs: a second `v1,` signature.",
    }),
    created_at: Instant,
    updated_at: Instant,
  })
  .openapi("WebhookEndpoint");
export type WebhookEndpoint = z.infer<typeof WebhookEndpointSchema>;

export const WebhookEndpointWithSecretSchema = WebhookEndpointSchema.extend({
  secret: z
    .string()
    .openapi({ example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", description: "The signing secret." }),
}).openapi("WebhookEndpointWithSecret");
export type WebhookEndpointWithSecret = z.infer<typeof WebhookEndpointWithSecretSchema>;

export const WebhookSecretSchema = z
  .object({
    object: z.literal("webhook_secret"),
    endpoint_id: z.string(),
    secret: z.string().openapi({ description: "`whsec_` + base64 of 24 random bytes (Standard Webhooks)." }),
  })
  .openapi("WebhookSecret");
export type WebhookSecret = z.infer<typeof WebhookSecretSchema>;

export const WebhookDeliverySchema = z
  .object({
    id: z.string().openapi({ example: "whd_…" }),
    object: z.literal("webhook_delivery"),
    endpoint_id: z.string(),
    event: z.object({
      id: z.string().openapi({ description: "The `webhook-id` header." }),
      type: z.string(),
      subject: z.object({ type: z.string(), id: z.string() }),
      seq: z.number().int(),
    }),
    status: z.enum(webhookDeliveryStatuses),
    attempts: z.number().int(),
    next_attempt_at: Instant.nullable().openapi({ description: "Null while the endpoint is disabled." }),
    last_attempt_at: Instant.nullable(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    delivered_at: Instant.nullable(),
    created_at: Instant,
  })
  .openapi("WebhookDelivery");
export type WebhookDelivery = z.infer<typeof WebhookDeliverySchema>;

export type CreateEndpointInput = z.infer<typeof CreateWebhookEndpointBody>;
export type UpdateEndpointInput = z.infer<typeof UpdateWebhookEndpointBody>;
