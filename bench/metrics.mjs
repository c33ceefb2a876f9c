// The KPI benchmark: one creator with 100,000 orders (each with its checkout) and 20,000 subscriptions
// (members, one `new` MRR movement each) in a local D1, and every metric route in ROUTES timed over a
// 90-day range: one warm-up request, then the median of 5. The worker is the production bundle under
// Miniflare's Node API on a direct socket (as bench/serve.mjs serves it), so no dev server's own cost
// is in the figures. Seeding writes SQL literals in large multi-row statements straight to the D1
// binding (about a minute); the database is kept in .wrangler/bench-metrics and reused while it holds
// the same dataset (delete the directory to seed again).
//
//   node bench/metrics.mjs            # ORDERS=100000 SUBSCRIPTIONS=20000 RUNS=5 override the sizes
//
// Add a route by adding its path and query to ROUTES.
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

const ORDERS = Number(process.env.ORDERS ?? 100_000);
const SUBSCRIPTIONS = Number(process.env.SUBSCRIPTIONS ?? 20_000);
const RUNS = Number(process.env.RUNS ?? 5);
const DAY = 86_400_000;
/** The dataset spans 2026-01-01 … 2026-06-30; the timed range is its last 90 days. */
const START = Date.parse("2026-01-01T00:00:00Z");
const SPAN_DAYS = 180;
const RANGE = "from=2026-04-01&to=2026-06-30";

/** Every KPI route the benchmark times: [name, path and query]. Other metric routes join this list. */
export const ROUTES = [
  ["time-to-entitlement", `/v1/metrics/time-to-entitlement?${RANGE}`],
  ["time-to-entitlement (one drop)", `/v1/metrics/time-to-entitlement?${RANGE}&drop_id=drp_bench_0`],
  ["drop-funnel", `/v1/metrics/drop-funnel?${RANGE}`],
  ["conversion", `/v1/metrics/conversion?${RANGE}`],
  ["payments", `/v1/metrics/payments?${RANGE}`],
  ["upsells", `/v1/metrics/upsells?${RANGE}`],
  // The subscription and member KPIs (bench/metrics-revenue.mjs times them over a richer dataset:
  // every movement kind, renewal invoices, entitlements, orders tied to members).
  ["mrr", `/v1/metrics/mrr?${RANGE}`],
  ["subscriptions", `/v1/metrics/subscriptions?${RANGE}`],
  ["retention", `/v1/metrics/retention?${RANGE}`],
  ["ltv", `/v1/metrics/ltv?${RANGE}`],
  ["enrolments", `/v1/metrics/enrolments?${RANGE}`],
];

const state = resolve(".wrangler/bench-metrics");
const marker = resolve(state, `seeded-${ORDERS}-${SUBSCRIPTIONS}.json`);
mkdirSync(state, { recursive: true });
const wrangler = (args) =>
  execFileSync(process.execPath, ["--no-warnings", "node_modules/wrangler/wrangler-dist/cli.js", ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });

// The production bundle of the worker, and the migrations applied to the benchmark's own local D1.
wrangler(["deploy", "--dry-run", "--outdir", resolve(state, "bundle")]);
wrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", state]);

const bench = unstable_getMiniflareWorkerOptions(resolve("bench/wrangler.toml")).workerOptions.bindings;
const { workerOptions } = unstable_getMiniflareWorkerOptions(resolve("wrangler.toml"));
const bundle = resolve(state, "bundle/index.js");
const mf = new Miniflare(
  convertV4MiniflareOptions({
    log: new Log(LogLevel.WARN),
    logRequests: false,
    cf: false,
    unsafeObservability: false,
    unsafeLocalExplorer: false,
    unsafeInspectDurableObjects: false,
    resourcePersistencePath: resolve(state, "v3"),
    ...workerOptions,
    rootPath: undefined,
    name: "creator-commerce-edge-bench-metrics",
    bindings: {
      ...workerOptions.bindings,
      ENVIRONMENT: "development",
      QUOTE_SIGNING_KEYS: bench.QUOTE_SIGNING_KEYS,
      ENTITLEMENT_SIGNING_KEYS: bench.ENTITLEMENT_SIGNING_KEYS,
    },
    queueProducers: undefined,
    modulesRules: undefined,
    modulesRoot: dirname(bundle),
    modules: [{ type: "ESModule", path: bundle }],
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  }),
);

const db = await mf.getD1Database("DB");
const q = (v) =>
  v === null ? "NULL" : typeof v === "number" ? String(v) : `'${String(v).replaceAll("'", "''")}'`;
/** Multi-row inserts of SQL literals, a few hundred rows to a statement, many statements to a batch. */
async function insert(table, columns, rows) {
  const statements = [];
  for (let i = 0; i < rows.length; i += 400) {
    const values = rows.slice(i, i + 400).map((r) => `(${r.map(q).join(",")})`);
    statements.push(db.prepare(`INSERT INTO ${table} (${columns}) VALUES ${values.join(",")}`));
  }
  for (let i = 0; i < statements.length; i += 50) await db.batch(statements.slice(i, i + 50));
}

let key;
if (existsSync(marker)) {
  key = JSON.parse(readFileSync(marker, "utf8")).key;
} else {
  const seeded = Date.now();
  key = `cc_sk_${randomBytes(30).toString("hex").slice(0, 40)}`;
  const creator = `cre_bench_${randomBytes(6).toString("hex")}`;
  const other = `${creator}_other`;
  const hash = createHash("sha256").update(key).digest("hex");
  await insert("creators", "id, name, default_currency, created_at", [
    [creator, "KPI bench", "USD", START],
    [other, "Another creator", "USD", START],
  ]);
  await insert("api_keys", "id, creator_id, name, prefix, hash, created_at", [
    [`key_${creator}`, creator, "bench", key.slice(0, 10), hash, START],
  ]);
  const offerRows = [
    ["off_bench_main", "one_time", null, null],
    ["off_bench_upsell", "upsell", null, null],
    ["off_bench_bundle", "bundle", null, null],
    ["off_bench_tier", "membership", "month", 1],
  ];
  await insert(
    "offers",
    "id, creator_id, kind, title, default_currency, billing_interval, tier_rank, created_at, updated_at",
    offerRows.map(([id, kind, interval, rank]) => [
      id,
      creator,
      kind,
      kind,
      "USD",
      interval,
      rank,
      START,
      START,
    ]),
  );
  const DROPS = 20;
  await insert(
    "drops",
    "id, creator_id, offer_id, title, stock, starts_at, created_at, updated_at",
    Array.from({ length: DROPS }, (_, i) => [
      `drp_bench_${i}`,
      creator,
      "off_bench_main",
      `Drop ${i}`,
      i % 2 === 0 ? 500 : 100_000,
      START + i * 9 * DAY,
      START,
      START,
    ]),
  );
  // Orders and checkouts: spread evenly over the span; ~80 % paid, ~12 % declined, the rest pending or
  // expired; a third on drops; every tenth an upsell 5 minutes after its buyer's previous order.
  const orders = [];
  const checkouts = [];
  const sources = ["link", "overlay", "pos", "api"];
  const declines = ["generic_decline", "insufficient_funds", "do_not_honor", null];
  for (let i = 0; i < ORDERS; i++) {
    const at = START + Math.floor((i / ORDERS) * SPAN_DAYS * DAY);
    const buyer = `anon:b${Math.floor(i / 3)}`;
    const roll = (i * 7919) % 100;
    const status = roll < 80 ? "paid" : roll < 92 ? "failed" : roll < 96 ? "pending" : "expired";
    const paid = status === "paid";
    const upsell = i % 10 === 9;
    const offer = upsell ? "off_bench_upsell" : i % 25 === 0 ? "off_bench_bundle" : "off_bench_main";
    const drop = !upsell && i % 3 === 0 ? `drp_bench_${i % DROPS}` : null;
    const id = `ord_b${i}`;
    const arm = i % 5 === 0 ? (i % 2 === 0 ? "control" : "treat") : null;
    const amount = upsell ? 500 : 2000 + (i % 7) * 100;
    orders.push([
      id,
      creator,
      `b${i}@example.test`,
      offer,
      drop,
      1,
      "USD",
      amount,
      paid ? "paid" : status === "failed" ? "failed" : status === "expired" ? "cancelled" : "pending",
      sources[i % 4],
      buyer,
      arm === null ? null : "exp_bench",
      arm,
      at,
      at,
      paid ? at + 1500 : null,
    ]);
    const failed = status === "failed";
    checkouts.push([
      `chk_b${i}`,
      creator,
      id,
      status,
      "x",
      buyer,
      `b${i}@example.test`,
      "sandbox",
      `pi_b${i}`,
      drop,
      "[]",
      failed ? "card_declined" : null,
      failed ? declines[i % 4] : null,
      paid ? at + 1500 : null,
      paid ? at + 1500 + 80 + (i % 400) : null,
      i % 50 === 0 ? 1 : 0,
      at,
      at,
    ]);
  }
  await insert(
    "orders",
    "id, creator_id, email, offer_id, drop_id, quantity, currency, amount_total, status, " +
      "source, buyer_key, experiment_id, experiment_arm, created_at, updated_at, paid_at",
    orders,
  );
  await insert(
    "checkouts",
    "id, creator_id, order_id, status, secret_hash, buyer_key, email, provider, " +
      "payment_id, drop_id, lines, failure_code, decline_code, payment_succeeded_at, entitlement_issued_at, " +
      "provider_retries, created_at, updated_at",
    checkouts,
  );
  // The other creator's rows, which no query of the first may read.
  await insert(
    "orders",
    "id, creator_id, email, offer_id, quantity, currency, amount_total, status, source, " +
      "created_at, updated_at, paid_at",
    Array.from({ length: 1000 }, (_, i) => [
      `ord_o${i}`,
      other,
      "o@example.test",
      "off_bench_main",
      1,
      "USD",
      100,
      "paid",
      "link",
      START + (i * DAY) / 10,
      START,
      START + (i * DAY) / 10,
    ]),
  );
  // Exposure counters: per day and drop, quotes and holds (the rollup a flush writes).
  const counts = [];
  for (let d = 0; d < SPAN_DAYS; d++) {
    const day = new Date(START + d * DAY).toISOString().slice(0, 10);
    for (let i = 0; i < DROPS; i++) {
      for (const [kind, n] of [
        ["quote", 60],
        ["hold", 25],
        ["hold_expired", 3],
      ]) {
        counts.push([
          creator,
          day,
          kind,
          "off_bench_main",
          `drp_bench_${i}`,
          sources[i % 4],
          i % 2 === 0 ? "exp_bench" : "",
          i % 2 === 0 ? (i % 4 === 0 ? "control" : "treat") : "",
          n,
        ]);
      }
    }
  }
  await insert(
    "exposure_counts",
    "creator_id, day, kind, offer_id, drop_id, source, experiment_id, " + "experiment_arm, count",
    counts,
  );
  // Subscriptions: members, one monthly subscription and its `new` MRR movement each.
  const members = [];
  const subs = [];
  const moves = [];
  for (let i = 0; i < SUBSCRIPTIONS; i++) {
    const at = START + Math.floor((i / SUBSCRIPTIONS) * SPAN_DAYS * DAY);
    members.push([`mem_s${i}`, creator, `s${i}@example.test`, "utility", "link", at, at]);
    subs.push([
      `sub_s${i}`,
      creator,
      `mem_s${i}`,
      "off_bench_tier",
      900,
      "USD",
      "month",
      1,
      at,
      i % 10 === 0 ? "canceled" : "active",
      at,
      at + 30 * DAY,
      "sandbox",
      at,
      at,
    ]);
    moves.push([`mrr_s${i}`, creator, `sub_s${i}`, "new", 900, "USD", at, at]);
  }
  await insert(
    "members",
    "id, creator_id, email, cohort, acquisition_source, joined_at, updated_at",
    members,
  );
  await insert(
    "subscriptions",
    "id, creator_id, member_id, offer_id, amount, currency, interval_unit, " +
      "interval_count, anchor, status, period_start, period_end, provider, created_at, updated_at",
    subs,
  );
  await insert(
    "mrr_movements",
    "id, creator_id, subscription_id, kind, amount, currency, at, created_at",
    moves,
  );
  writeFileSync(marker, JSON.stringify({ key }));
  console.log(
    `seeded ${ORDERS} orders and checkouts, ${SUBSCRIPTIONS} subscriptions in ${Date.now() - seeded} ms`,
  );
}

const url = await mf.unsafeGetDirectURL();
const rows = [];
for (const [name, path] of ROUTES) {
  const call = async () => {
    const started = performance.now();
    const res = await fetch(new URL(path, url), { headers: { authorization: `Bearer ${key}` } });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`${name}: ${res.status} ${body.slice(0, 300)}`);
    return performance.now() - started;
  };
  await call();
  const times = [];
  for (let i = 0; i < RUNS; i++) times.push(await call());
  times.sort((a, b) => a - b);
  rows.push([name, times[Math.floor(times.length / 2)], times[0], times.at(-1)]);
}
await mf.dispose();

console.log(
  `\nKPI routes over ${RANGE} (${ORDERS} orders, ${SUBSCRIPTIONS} subscriptions), median of ${RUNS}:\n`,
);
console.log("| Route | Median ms | Min ms | Max ms |\n| --- | ---: | ---: | ---: |");
for (const [name, median, min, max] of rows) {
  console.log(`| ${name} | ${median.toFixed(1)} | ${min.toFixed(1)} | ${max.toFixed(1)} |`);
}
