import { buildApp } from "./app";
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
