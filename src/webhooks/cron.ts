/** The minute cron's webhook work: drop lifecycle audit rows, then dispatch and the overdue sweep. */
import type { Db } from "../db/client";
import type { SoldOutCheck } from "./dispatch";
import { dropLifecycleWrites } from "./lifecycle";
import { sweepWebhooks, type WebhookMessage } from "./queue";

export async function webhookCron(db: Db, queue: Queue | undefined, now: number, soldOut?: SoldOutCheck) {
  await db.batch(dropLifecycleWrites(db, now));
  const report = await sweepWebhooks(db, queue as Queue<WebhookMessage> | undefined, now, soldOut);
  if (report.more) console.error(JSON.stringify({ webhooks: "dispatch_backlog", ...report }));
  return report;
}
