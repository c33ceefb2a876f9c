import { buildApp } from "./app";

export { DropInventory } from "./inventory/drop-inventory";

import { database } from "./db/client";
import { purgeExpiredIdempotencyKeys } from "./http/idempotency";

const app = buildApp();

export default {
  fetch: app.fetch,
  /** Hourly: forget idempotency keys past their 24-hour retention. */
  scheduled: async (_controller, env) => {
    await purgeExpiredIdempotencyKeys(database(env.DB), Date.now());
  },
} satisfies ExportedHandler<Env>;
