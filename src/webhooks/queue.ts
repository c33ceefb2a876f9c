/**
 * The webhook queue (binding WEBHOOK_QUEUE) carries two kinds of message: `dispatch`, a poke to read
 * the audit log past the cursor, and `deliver`, one attempt of one delivery. A write request pokes after
 * it answered (in waitUntil: no D1 round trip on the request path); the minute cron dispatches too and
 * re-enqueues deliveries whose message was lost, so a failed send costs at most a minute.
 * Queues delay a message 12 hours at most; a longer wait is a chain of messages.
 */
import { and, eq, isNotNull, lte, sql } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import { type Db, database } from "../db/client";
import { webhookDeliveries } from "../db/schema";
import type { AppEnv } from "../http/context";
import { inventoryGateway } from "../inventory/gateway";
import { attemptDelivery, type DeliveryDeps, LEASE_MS } from "./deliver";
import { dispatch, type SoldOutCheck } from "./dispatch";
import { soldOutCheck } from "./lifecycle";
import { type WebhookFetch, webhookFetch } from "./transport";

export type WebhookMessage = { kind: "dispatch" } | { kind: "deliver"; delivery_id: string };

export const MAX_DELAY_SECONDS = 12 * 60 * 60;

/** The queue's delay for a wait: whole seconds, at most the 12 hours Queues allow. */
export const delaySecondsFor = (ms: number): number =>
  Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(ms / 1000)));

/** Enqueues one `deliver` message per delivery, 100 to a send (the Queues batch limit). */
export async function enqueueDeliveries(
  queue: Queue<WebhookMessage>,
  ids: string[],
  delayMs = 0,
): Promise<void> {
  for (let i = 0; i < ids.length; i += 100) {
    await queue.sendBatch(
      ids.slice(i, i + 100).map((id) => ({
        body: { kind: "deliver", delivery_id: id } as const,
        delaySeconds: delaySecondsFor(delayMs),
      })),
    );
  }
}

export function deliveryDeps(
  db: Db,
  queue: Queue<WebhookMessage> | undefined,
  fetchFn?: WebhookFetch,
): DeliveryDeps {
  return {
    db,
    fetch: fetchFn ?? webhookFetch,
    now: () => Date.now(),
    random: Math.random,
    enqueue: async (id, delayMs) => {
      if (queue) await enqueueDeliveries(queue, [id], delayMs);
    },
  };
}

/** Runs one dispatch, handing its deliveries to the queue (or, without one, attempting them here). */
export async function runDispatch(
  db: Db,
  queue: Queue<WebhookMessage> | undefined,
  now = Date.now(),
  soldOut?: SoldOutCheck,
) {
  return dispatch(
    db,
    now,
    async (ids) => {
      if (queue) await enqueueDeliveries(queue, ids);
      else await Promise.all(ids.map((id) => attemptDelivery(deliveryDeps(db, undefined), id)));
    },
    undefined,
    soldOut,
  );
}

/** The queue consumer: one dispatch per batch however many pokes it holds, and each delivery once. */
export async function consumeWebhookBatch(
  batch: MessageBatch<WebhookMessage>,
  deps: { db: Db; queue: Queue<WebhookMessage> | undefined; fetch?: WebhookFetch; soldOut?: SoldOutCheck },
): Promise<void> {
  const pokes = batch.messages.filter((m) => m.body.kind === "dispatch");
  if (pokes.length > 0) {
    try {
      const result = await runDispatch(deps.db, deps.queue, Date.now(), deps.soldOut);
      // A long backlog: poke again rather than run one invocation for ever.
      if (result.more && deps.queue) await deps.queue.send({ kind: "dispatch" });
      for (const m of pokes) m.ack();
    } catch (error) {
      console.error(JSON.stringify({ webhooks: "dispatch_failed", error: String(error) }));
      for (const m of pokes) m.retry();
    }
  }
  const delivery = deliveryDeps(deps.db, deps.queue, deps.fetch);
  await Promise.all(
    batch.messages.map(async (m) => {
      if (m.body.kind !== "deliver") return;
      try {
        const result = await attemptDelivery(delivery, m.body.delivery_id);
        // Early (a wait longer than one message's delay): chain another message for the rest.
        if (result.kind === "not_due" && result.retryInMs !== null && result.retryInMs > LEASE_MS) {
          await delivery.enqueue(m.body.delivery_id, result.retryInMs);
        }
        m.ack();
      } catch (error) {
        console.error(
          JSON.stringify({ webhooks: "deliver_failed", id: m.body.delivery_id, error: String(error) }),
        );
        m.retry({ delaySeconds: 30 });
      }
    }),
  );
}

/**
 * The minute cron's share: dispatch, then re-enqueue pending deliveries a minute or more overdue (their
 * message was lost, or an attempt died holding its lease). Bounded per run.
 */
export async function sweepWebhooks(
  db: Db,
  queue: Queue<WebhookMessage> | undefined,
  now: number,
  soldOut?: SoldOutCheck,
) {
  const dispatched = await runDispatch(db, queue, now, soldOut);
  const overdue = await db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.status, "pending"),
        isNotNull(webhookDeliveries.nextAttemptAt),
        lte(webhookDeliveries.nextAttemptAt, now - 60_000),
      ),
    )
    .orderBy(sql`${webhookDeliveries.nextAttemptAt}`)
    .limit(500);
  const ids = overdue.map((r) => r.id);
  if (queue) await enqueueDeliveries(queue, ids);
  else await Promise.all(ids.map((id) => attemptDelivery(deliveryDeps(db, undefined), id)));
  return { ...dispatched, requeued: ids.length };
}

let poking: boolean | undefined;

/**
 * Whether requests send to the queue: dispatch pokes, and the deliveries a redeliver, a test event or a
 * re-enable makes due. On, except under ENVIRONMENT "test", where the suite's tests count rows before
 * and after a request and a background dispatch landing in between would move their counts; a test
 * that wants the real queue turns it on. The cron's sweep finds everything either way.
 */
export function setRequestQueueSends(enabled: boolean | undefined): void {
  poking = enabled;
}
export const requestQueueSends = (environment: string): boolean => poking ?? environment !== "test";

/**
 * POSTs that never write an audit row, so never make an event due: the hottest public routes. A poke
 * for each would be most of a month's queue operations (docs/deploy.md, What it costs).
 */
const writesNoEvents = new Set([
  "/v1/quotes",
  "/v1/quotes/verify",
  "/v1/entitlements/verify",
  "/v1/buyer-tokens",
  "/v1/buyer-tokens/challenge",
]);

/**
 * After a write answered successfully, poke the dispatcher: one queue send in waitUntil, nothing on the
 * response's path. The cron catches anything a lost poke missed.
 */
export const pokeDispatcher = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  const method = c.req.method;
  if (method === "GET" || method === "HEAD" || method === "OPTIONS" || c.res.status >= 400) return;
  if (writesNoEvents.has(c.req.path)) return;
  const queue = c.env.WEBHOOK_QUEUE;
  if (queue === undefined || !requestQueueSends(c.get("config").ENVIRONMENT)) return;
  let waitUntil: (work: Promise<unknown>) => void;
  try {
    const ctx = c.executionCtx;
    waitUntil = (work) => ctx.waitUntil(work);
  } catch {
    return; // no execution context (an app called directly in a test): the cron dispatches.
  }
  waitUntil(
    queue.send({ kind: "dispatch" }).catch((error: unknown) => {
      console.error(JSON.stringify({ webhooks: "poke_failed", error: String(error) }));
    }),
  );
});

/** The worker's `queue` handler. */
export const webhookQueue = (batch: MessageBatch<unknown>, env: Env): Promise<void> => {
  const db = database(env.DB);
  return consumeWebhookBatch(batch as MessageBatch<WebhookMessage>, {
    db,
    queue: env.WEBHOOK_QUEUE as Queue<WebhookMessage>,
    soldOut: dropSoldOutCheck(db, env),
  });
};

/** The sold-out check against the drops' objects (src/webhooks/lifecycle.ts). */
export const dropSoldOutCheck = (db: Db, env: Env): SoldOutCheck =>
  soldOutCheck(db, (dropId) => inventoryGateway(env.DROP_INVENTORY, db).snapshot(dropId));
