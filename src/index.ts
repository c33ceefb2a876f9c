import { buildApp } from "./app";
import { scheduled } from "./scheduled";
import { webhookQueue } from "./webhooks/queue";

export { DropInventory } from "./inventory/drop-inventory";
export { ExposureCounter } from "./metrics/counter-object";
export { RateCounter } from "./ratelimit/counter";
export { StockRelay } from "./stream/relay";

const app = buildApp();

export default {
  fetch: app.fetch,
  /** Hourly: purge idempotency keys. Every minute: sweep abandoned checkouts, retry payment events. */
  scheduled: async (controller, env) => scheduled(controller, env),
  /** Outbound webhooks: dispatch pokes and delivery attempts (docs/webhooks.md). */
  queue: webhookQueue,
} satisfies ExportedHandler<Env>;
