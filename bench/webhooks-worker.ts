/**
 * The webhook delivery benchmark's worker (bench/webhooks.mjs runs it in Miniflare): `POST /run?n=`
 * seeds one creator, one endpoint and n events with their deliveries, then attempts every delivery
 * through the real code (claim, sign, POST, outcome batch) at the queue consumer's concurrency, to a
 * receiver worker in the same process (a service binding, so a real HTTP hop between isolates).
 */
import { sql } from "drizzle-orm";
import { database } from "../src/db/client";
import { creators, webhookDeliveries, webhookEndpoints, webhookEvents } from "../src/db/schema";
import { newId } from "../src/lib/ids";
import { attemptDelivery } from "../src/webhooks/deliver";
import { generateSecret } from "../src/webhooks/signature";

interface BenchEnv {
  DB: D1Database;
  RECEIVER: Fetcher;
  MIGRATIONS: string;
}

const CONCURRENCY = 20;

async function migrate(env: BenchEnv) {
  const done = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE name = 'webhook_endpoints'",
  ).first();
  if (done) return;
  const statements = (JSON.parse(env.MIGRATIONS) as string[])
    .flatMap((file) => file.split("--> statement-breakpoint"))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const s of statements) await env.DB.prepare(s).run();
}

export default {
  async fetch(request: Request, env: BenchEnv): Promise<Response> {
    await migrate(env);
    const n = Math.min(5000, Number(new URL(request.url).searchParams.get("n") ?? 500));
    const db = database(env.DB);
    const now = Date.now();
    const creatorId = newId("creator");
    const endpointId = newId("webhookEndpoint");
    await db.batch([
      db
        .insert(creators)
        .values({ id: creatorId, name: "Webhook bench", defaultCurrency: "USD", createdAt: now }),
      db.insert(webhookEndpoints).values({
        id: endpointId,
        creatorId,
        url: "https://receiver.bench/hooks",
        secret: generateSecret(),
        createdAt: now,
        updatedAt: now,
      }),
    ]);
    const ids: string[] = [];
    for (let start = 0; start < n; start += 50) {
      const events = Array.from({ length: Math.min(50, n - start) }, (_, i) => {
        const eventId = newId("webhookEvent");
        const deliveryId = newId("webhookDelivery");
        ids.push(deliveryId);
        const payload = JSON.stringify({
          type: "order.paid",
          timestamp: new Date(now).toISOString(),
          data: { subject: { type: "order", id: `ord_${start + i}` }, seq: 1, changes: { amount: 2000 } },
        });
        return [
          db.insert(webhookEvents).values({
            id: eventId,
            creatorId,
            auditId: newId("audit"),
            type: "order.paid",
            subjectType: "order",
            subjectId: `ord_${start + i}`,
            seq: 1,
            payload,
            createdAt: now,
          }),
          db.insert(webhookDeliveries).values({
            id: deliveryId,
            creatorId,
            endpointId,
            eventId,
            nextAttemptAt: now,
            createdAt: now,
            updatedAt: now,
          }),
        ];
      });
      const [first, ...rest] = events.flat();
      if (first) await db.batch([first, ...rest]);
    }
    const deps = {
      db,
      fetch: (url: string, init: RequestInit) => env.RECEIVER.fetch(url, init),
      now: () => Date.now(),
      random: Math.random,
      enqueue: async () => {},
    };
    const started = performance.now();
    let next = 0;
    let ok = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < ids.length) {
          const id = ids[next++];
          if (id === undefined) break;
          const result = await attemptDelivery(deps, id);
          if (result.kind === "succeeded") ok++;
        }
      }),
    );
    const ms = performance.now() - started;
    const [row] = await db.all<{ n: number }>(
      sql`SELECT count(*) AS n FROM webhook_deliveries WHERE endpoint_id = ${endpointId} AND status = 'succeeded'`,
    );
    return Response.json({
      n,
      succeeded: ok,
      stored: row?.n ?? 0,
      ms: Math.round(ms),
      per_second: Math.round((ok / ms) * 1000),
    });
  },
};
