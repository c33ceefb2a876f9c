/** The worker's crons (see wrangler.toml [triggers]). */
import { sweepCheckouts } from "./checkout/sweep";
import { readConfig } from "./config";
import { database } from "./db/client";
import { purgeExpiredIdempotencyKeys } from "./http/idempotency";
import { inventoryGateway } from "./inventory/gateway";
import { paymentProvider } from "./payments";
import type { ProviderEvent } from "./payments/provider";

const HOURLY = "17 * * * *";

export async function scheduled(controller: ScheduledController, env: Env): Promise<void> {
  const db = database(env.DB);
  const now = Date.now();
  // Hourly: forget idempotency keys past their 24-hour retention.
  if (controller.cron === HOURLY) return purgeExpiredIdempotencyKeys(db, now);
  // Every minute: cancel abandoned checkouts' payments, retry unfinished payment events.
  const emitted: ProviderEvent[] = [];
  const provider = paymentProvider(readConfig(env), db, {
    now: () => Date.now(),
    emit: (e) => emitted.push(e),
  });
  await sweepCheckouts({ db, inventory: inventoryGateway(env.DROP_INVENTORY, db), provider, now, emitted });
}
