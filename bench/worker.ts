/**
 * The benchmark's worker: the real app, plus two floors measured in the same run: a bare Hono hello
 * route and a bare Durable Object RPC echo. Only `npm run bench` serves this entry; production never does.
 */
import { DurableObject } from "cloudflare:workers";
import { Hono } from "hono";
import { buildApp } from "../src/app";
import { database } from "../src/db/client";
import {
  creators,
  drops,
  experimentArms,
  experiments,
  offerCountryPrices,
  offerPrices,
  offers,
} from "../src/db/schema";
import { inventoryGateway, termsOf } from "../src/inventory/gateway";

export { DropInventory } from "../src/inventory/drop-inventory";

export class EchoObject extends DurableObject {
  echo(payload: unknown): unknown {
    return payload;
  }
}

interface BenchEnv extends Env {
  ECHO: DurableObjectNamespace<EchoObject>;
}

const app = buildApp();
const bench = new Hono<{ Bindings: BenchEnv }>();

bench.get("/bench/hello", (c) => c.text("hello"));

bench.post("/bench/echo", async (c) => {
  const stub = c.env.ECHO.get(c.env.ECHO.idFromName("echo"));
  return c.json(await stub.echo(await c.req.json()), 200);
});

/**
 * One creator, offer and drop with stock that a run cannot exhaust; answers the drop id. The offer is
 * priced the way a real one is: two currencies, a country price and a running two-arm experiment, so
 * the pricing routes do all of their work.
 */
bench.post("/bench/setup", async (c) => {
  const db = database(c.env.DB);
  const now = Date.now();
  const dropId = `drp_bench_${now}`;
  const row = {
    id: dropId,
    creatorId: "cre_bench",
    offerId: "off_bench",
    title: "Bench drop",
    stock: 10_000_000,
    startsAt: now,
    endsAt: null,
    perBuyerLimit: 5,
    holdTtlSeconds: 3600,
    state: "open" as const,
    closedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  await db.batch([
    db
      .insert(creators)
      .values({ id: "cre_bench", name: "Bench", defaultCurrency: "USD", createdAt: now })
      .onConflictDoNothing(),
    db
      .insert(offers)
      .values({
        id: "off_bench",
        creatorId: "cre_bench",
        kind: "one_time",
        title: "Bench item",
        defaultCurrency: "USD",
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing(),
    db
      .insert(offerPrices)
      .values([
        { offerId: "off_bench", currency: "USD", amount: 1000, floor: 500 },
        { offerId: "off_bench", currency: "EUR", amount: 900, floor: null },
      ])
      .onConflictDoNothing(),
    db
      .insert(offerCountryPrices)
      .values({ offerId: "off_bench", country: "BR", currency: "USD", amount: 600 })
      .onConflictDoNothing(),
    db
      .insert(experiments)
      .values({
        id: "exp_bench",
        creatorId: "cre_bench",
        offerId: "off_bench",
        name: "Bench price test",
        status: "running",
        startedAt: now,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing(),
    db
      .insert(experimentArms)
      .values([
        { experimentId: "exp_bench", key: "control", weight: 1, adjustmentKind: "none", position: 0 },
        {
          experimentId: "exp_bench",
          key: "low",
          weight: 1,
          adjustmentKind: "percent",
          percentBps: -1000,
          position: 1,
        },
      ])
      .onConflictDoNothing(),
    db.insert(drops).values(row),
  ]);
  await inventoryGateway(c.env.DROP_INVENTORY, db).configure(dropId, termsOf(row));
  return c.json({ drop_id: dropId });
});

/** The drop's counters straight from its object, and its invariant check. */
bench.get("/bench/check/:dropId", async (c) => {
  const stub = c.env.DROP_INVENTORY.get(c.env.DROP_INVENTORY.idFromName(c.req.param("dropId")));
  return c.json({ snapshot: await stub.snapshot(), violations: await stub.selfCheck() });
});

/** Bench routes go to the bench app; everything else straight to the real app, as in production. */
export default {
  fetch: (request, env, ctx) =>
    request.url.includes("/bench/") ? bench.fetch(request, env, ctx) : app.fetch(request, env, ctx),
} satisfies ExportedHandler<BenchEnv>;
