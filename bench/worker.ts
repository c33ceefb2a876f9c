/**
 * The benchmark's worker: the real app, plus floors measured in the same run: a bare Hono hello route,
 * a bare Durable Object RPC echo, one raw D1 query, and raw Ed25519 signatures with crypto.subtle (the
 * key type that entitlement tokens use). Its input routes are in inputs.ts; the aged drop's backlog is
 * made here. With the var BENCH_D1_DELAY_MS set, every D1 round trip waits that long (d1-delay.ts).
 * Only `npm run bench` serves this entry; production never does.
 */
import { DurableObject } from "cloudflare:workers";
import { and, eq, gte } from "drizzle-orm";
import { Hono } from "hono";
import { buildApp } from "../src/app";
import { readConfig } from "../src/config";
import { database } from "../src/db/client";
import { checkouts } from "../src/db/schema";
import { entitlementKeys } from "../src/entitlements/keys";
import { mintToken } from "../src/entitlements/token";
import { inventoryGateway } from "../src/inventory/gateway";
import { type D1Counter, delayedD1 } from "./d1-delay";
import { benchMember, inputRoutes } from "./inputs";
import { renewalRoutes } from "./renewals";

export { DropInventory } from "../src/inventory/drop-inventory";
export { StockRelay } from "../src/stream/relay";

export class EchoObject extends DurableObject {
  echo(payload: unknown): unknown {
    return payload;
  }
}

export interface BenchEnv extends Env {
  ECHO: DurableObjectNamespace<EchoObject>;
  /** Latency mode: every D1 round trip waits this many ms (and is counted). */
  BENCH_D1_DELAY_MS?: string;
}

const app = buildApp();
const bench = new Hono<{ Bindings: BenchEnv }>();

bench.get("/bench/hello", (c) => c.text("hello"));

/** Signatures per /bench/sign request: enough that one signature's cost stands out from routing. */
const SIGNATURES_PER_REQUEST = 50;
// A token-sized message: what an entitlement token's signing input weighs.
const message = new TextEncoder().encode("x".repeat(420));

/** The raw signature floor: SIGNATURES_PER_REQUEST Ed25519 signatures with the worker's own parsed key. */
bench.get("/bench/sign", async (c) => {
  const { signer } = await entitlementKeys(readConfig(c.env).ENTITLEMENT_SIGNING_KEYS);
  for (let i = 0; i < SIGNATURES_PER_REQUEST; i++) await crypto.subtle.sign("Ed25519", signer, message);
  return c.text(String(SIGNATURES_PER_REQUEST));
});

/** Time from payment success to entitlement, per paid checkout since `since` (epoch ms): p50 and p90. */
bench.get("/bench/checkout-stats", async (c) => {
  const rows = await database(c.env.DB)
    .select({ succeeded: checkouts.paymentSucceededAt, issued: checkouts.entitlementIssuedAt })
    .from(checkouts)
    .where(and(eq(checkouts.status, "paid"), gte(checkouts.createdAt, Number(c.req.query("since") ?? 0))));
  const ms = rows.map((r) => (r.issued ?? 0) - (r.succeeded ?? 0)).sort((a, b) => a - b);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? null;
  return c.json({ paid: ms.length, p50_ms: at(0.5), p90_ms: at(0.9), max_ms: at(1) });
});

/**
 * The storage floor: one raw D1 query, the least any route that reads D1 does. Locally D1 runs in the
 * same single-threaded runtime, so its cost lands on the worker's core; in production it is a wait.
 */
bench.get("/bench/d1", async (c) =>
  c.json(await c.env.DB.prepare("SELECT token_version FROM members WHERE id = ?").bind("mem_bench").first()),
);

/** Minting alone, as checkout will after its paid batch: the bench member's claims, signed; no storage. */
bench.get("/bench/mint", async (c) => {
  const config = readConfig(c.env);
  const keys = await entitlementKeys(config.ENTITLEMENT_SIGNING_KEYS);
  const settings = { issuer: config.ENTITLEMENT_ISSUER, ttlSeconds: config.ENTITLEMENT_TOKEN_TTL_SECONDS };
  return c.json(await mintToken(keys, settings, benchMember, "cre_bench", Date.now()));
});

bench.post("/bench/echo", async (c) => {
  const stub = c.env.ECHO.get(c.env.ECHO.idFromName("echo"));
  return c.json(await stub.echo(await c.req.json()), 200);
});

/** The drop's stock through the gateway: a sharded drop's coordinator answers for all its shards. */
bench.get("/bench/stock/:dropId", async (c) =>
  c.json(await inventoryGateway(c.env.DROP_INVENTORY, database(c.env.DB)).snapshot(c.req.param("dropId"))),
);

/** The drop's counters straight from its object, and its invariant check. */
bench.get("/bench/check/:dropId", async (c) => {
  const stub = c.env.DROP_INVENTORY.get(c.env.DROP_INVENTORY.idFromName(c.req.param("dropId")));
  return c.json({ snapshot: await stub.snapshot(), violations: await stub.selfCheck() });
});

/**
 * The aged drop's backlog: `n` live holds on `drop`, each a new buyer, made through the real gateway's
 * reserve RPC (the same path the reserve route takes) in `parallel`-sized waves, outside the timing.
 * The bench drop's holds last an hour (the longest TTL a drop allows), so they are live for the run.
 */
bench.post("/bench/seed-holds", async (c) => {
  const [n, parallel] = [Number(c.req.query("n") ?? 1000), Number(c.req.query("parallel") ?? 250)];
  const dropId = c.req.query("drop") ?? "";
  const gateway = inventoryGateway(c.env.DROP_INVENTORY, database(c.env.DB));
  const stamp = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  let held = 0;
  for (let start = 0; start < n; start += parallel) {
    const wave = Array.from({ length: Math.min(parallel, n - start) }, (_, i) => `${stamp}-${start + i}`);
    const results = await Promise.all(
      wave.map((id) =>
        gateway.reserve(dropId, {
          buyer: `bench-aged-${id}`,
          quantity: 1,
          allowPartial: false,
          idempotencyKey: `bench-aged-${id}`,
        }),
      ),
    );
    held += results.filter((r) => r.ok).length;
  }
  return c.json({ held });
});

const d1Counter: D1Counter = { roundTrips: 0 };

/** D1 round trips since the last `?reset=1`, counted by the latency mode's proxy (0 without it). */
bench.get("/bench/d1-count", (c) => {
  const roundTrips = d1Counter.roundTrips;
  if (c.req.query("reset") !== undefined) d1Counter.roundTrips = 0;
  return c.json({ round_trips: roundTrips, delay_ms: Number(c.env.BENCH_D1_DELAY_MS ?? 0) });
});

bench.route("/", inputRoutes(app));
bench.route("/", renewalRoutes);

// One wrapped env per isolate, so the app's per-binding caches (drizzle, config, gateway) still hit.
const delayedEnvs = new WeakMap<BenchEnv, BenchEnv>();
function envFor(env: BenchEnv): BenchEnv {
  if (env.BENCH_D1_DELAY_MS === undefined) return env;
  let delayed = delayedEnvs.get(env);
  if (delayed === undefined) {
    delayed = { ...env, DB: delayedD1(env.DB, Number(env.BENCH_D1_DELAY_MS), d1Counter) };
    delayedEnvs.set(env, delayed);
  }
  return delayed;
}

/** Bench routes go to the bench app; everything else straight to the real app, as in production. */
export default {
  fetch: (request, env, ctx) =>
    request.url.includes("/bench/")
      ? bench.fetch(request, envFor(env), ctx)
      : app.fetch(request, envFor(env), ctx),
} satisfies ExportedHandler<BenchEnv>;
