import type { Context } from "hono";
import { type AppEnv, tenantContext } from "../../http/context";
import { enqueueDeliveries, requestQueueSends, type WebhookMessage } from "../../webhooks/queue";
import type { WebhookEndpoint } from "../../webhooks/schemas";
import { findEndpoint } from "../../webhooks/store";
import type { WebhookContext } from "../../webhooks/verbs";

/** The tenant's context plus what webhook verbs need: the URL rules in force and the delivery queue. */
export const webhookContext = (c: Context<AppEnv>): WebhookContext => ({
  ...tenantContext(c),
  production: c.get("config").ENVIRONMENT === "production",
  enqueue: async (ids) => {
    const queue = c.env.WEBHOOK_QUEUE as Queue<WebhookMessage> | undefined;
    if (queue !== undefined && ids.length > 0 && requestQueueSends(c.get("config").ENVIRONMENT))
      await enqueueDeliveries(queue, ids);
  },
});

export const TAG = "Webhook endpoints";

/** An Idempotency-Key replay: the stored endpoint (stored without its secret), with the secret read afresh. */
export async function withSecret(c: Context<AppEnv>, stored: unknown): Promise<unknown> {
  const endpoint = stored as WebhookEndpoint;
  const row = await findEndpoint(c.get("db"), c.get("tenant").creatorId, endpoint.id);
  return { ...endpoint, secret: row?.secret ?? "" };
}
