import { buildApp } from "./app";
import { scheduled } from "./scheduled";

export { DropInventory } from "./inventory/drop-inventory";
export { StockRelay } from "./stream/relay";

const app = buildApp();

export default {
  fetch: app.fetch,
  /** Hourly: purge idempotency keys. Every minute: sweep abandoned checkouts, retry payment events. */
  scheduled: async (controller, env) => scheduled(controller, env),
} satisfies ExportedHandler<Env>;
