/** The worker's crons (see wrangler.toml [triggers]). */
import { sweepCheckouts } from "./checkout/sweep";
import { readConfig } from "./config";
import { purgeExpiredSessions } from "./dashboard/session";
import { database } from "./db/client";
import { purgeExpiredIdempotencyKeys } from "./http/idempotency";
import { inventoryGateway } from "./inventory/gateway";
import { exposureSink } from "./metrics/counters";
import { paymentProvider, subscriptionProvider } from "./payments";
import type { ProviderEvent } from "./payments/provider";
import { purgeSignInCodes } from "./sign-in/store";
import { renewDue } from "./subscriptions/renewals";
import { webhookCron } from "./webhooks/cron";
import { dropSoldOutCheck } from "./webhooks/queue";

const HOURLY = "17 * * * *";

export async function scheduled(controller: ScheduledController, env: Env): Promise<void> {
  const db = database(env.DB);
  const now = Date.now();
  // Hourly: forget idempotency keys past their 24-hour retention, sign-in codes past any use, and
  // dashboard sessions past their expiry.
  if (controller.cron === HOURLY) {
    await Promise.all([
      purgeExpiredIdempotencyKeys(db, now),
      purgeSignInCodes(db, now),
      purgeExpiredSessions(db, now),
    ]);
    return;
  }
  // Every minute: cancel abandoned checkouts' payments, retry unfinished payment events.
  const emitted: ProviderEvent[] = [];
  const provider = paymentProvider(readConfig(env), db, {
    now: () => Date.now(),
    emit: (e) => emitted.push(e),
  });
  const counted: Promise<unknown>[] = [];
  const report = await sweepCheckouts({
    db,
    inventory: inventoryGateway(env.DROP_INVENTORY, db),
    provider,
    now,
    emitted,
    exposures: exposureSink(env.EXPOSURE_COUNTER, (work) => counted.push(work)),
  });
  await Promise.allSettled(counted);
  // A checkout the sweep gave up on waits for a person (audit `checkout.sweep_flagged`): say so loudly.
  if (report.flagged > 0) console.error(JSON.stringify({ sweep: "flagged", ...report }));
  // Renewals, retries and period ends that fell due (the sandbox's; Stripe Billing renews its own).
  const renewals = await renewDue(
    {
      db,
      now: Date.now(),
      ...subscriptionProvider(readConfig(env), db),
      actor: "system:renewals",
      payoutsMode: readConfig(env).PAYOUTS_MODE,
    },
    { limit: 500 },
  );
  if (renewals.deferred > 0) console.error(JSON.stringify({ sweep: "renewals_deferred", ...renewals }));
  // Drops that started or ended, then every audit row since the last dispatch, and lost deliveries.
  await webhookCron(db, env.WEBHOOK_QUEUE, Date.now(), dropSoldOutCheck(db, env));
}
