// The subscription and member KPI benchmark: one creator with 100,000 orders, 20,000 subscriptions (with
// their MRR movements and renewal invoices), 40,000 members and their entitlements, and a second creator
// beside it; then each KPI route is timed over the whole year and over one month, served by the bundled
// bench worker under Miniflare's Node API on a direct socket (as bench/serve.mjs serves it).
//
//   node bench/metrics-revenue.mjs            (about a minute: bundle, migrate, seed, time)
// RUNS (default 7) sets the timed requests per route; the figure is their median. Each is also given as a
// multiple of a floor timed the same way (one statement reading all 100,000 of the creator's orders), and
// the run fails when a route's median is over BUDGET_X (default 5) times that floor.
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

const RUNS = Number(process.env.RUNS ?? 7);
const BUDGET_X = Number(process.env.BUDGET_X ?? 5);
const DAY = 86_400_000;
const YEAR_START = Date.parse("2026-01-01T00:00:00Z");
const SPAN = 334 * DAY; // data from 1 January to 1 December 2026
const N = { orders: 100_000, subscriptions: 20_000, buyers: 20_000 };

const state = mkdtempSync(join(tmpdir(), "metrics-bench-"));
// As bench/lib.sh runs it: the CLI itself, under the node that runs this script.
const wrangler = (...args) =>
  execFileSync(
    process.execPath,
    ["--no-warnings", resolve("node_modules/wrangler/wrangler-dist/cli.js"), ...args],
    {
      stdio: "ignore",
    },
  );
const step = (what, f) => {
  const t = performance.now();
  const out = f();
  console.error(`${what}: ${Math.round(performance.now() - t)} ms`);
  return out;
};
step("migrate", () =>
  wrangler("d1", "migrations", "apply", "DB", "--local", "-c", "bench/wrangler.toml", "--persist-to", state),
);
step("bundle", () =>
  wrangler("deploy", "--dry-run", "--outdir", join(state, "bundle"), "-c", "bench/wrangler.toml"),
);

const { workerOptions } = unstable_getMiniflareWorkerOptions(resolve("bench/wrangler.toml"));
const mf = new Miniflare(
  convertV4MiniflareOptions({
    log: new Log(LogLevel.WARN),
    logRequests: false,
    cf: false,
    unsafeObservability: false,
    unsafeLocalExplorer: false,
    unsafeInspectDurableObjects: false,
    resourcePersistencePath: join(state, "v3"),
    ...workerOptions,
    rootPath: undefined,
    name: "creator-commerce-edge-bench",
    modulesRules: undefined,
    modulesRoot: join(state, "bundle"),
    modules: [{ type: "ESModule", path: join(state, "bundle", "worker.js") }],
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  }),
);

try {
  const url = await mf.unsafeGetDirectURL();
  const d1 = await mf.getD1Database("DB");
  const key = `cc_sk_${randomBytes(25).toString("hex").slice(0, 40)}`;
  const t0 = performance.now();
  const counts = await seed(d1, "cre_bench", key, 1);
  await seed(d1, "cre_other", `cc_sk_${randomBytes(25).toString("hex").slice(0, 40)}`, 0.1);
  console.error(`seed: ${Math.round(performance.now() - t0)} ms`, counts);

  // The floor, timed the same way: one statement that reads every one of the creator's 100,000 orders
  // (index range, then each row), with no HTTP, auth or report around it. A route's ratio to it is
  // steadier than its milliseconds when other work shares the machine.
  const floorOnce = async () => {
    const t = performance.now();
    await d1
      .prepare("SELECT COUNT(*), SUM(amount_total) FROM orders WHERE creator_id = ? AND paid_at IS NOT NULL")
      .bind("cre_bench")
      .all();
    return performance.now() - t;
  };
  await floorOnce();
  const floors = [];
  for (let i = 0; i < RUNS; i++) floors.push(await floorOnce());
  floors.sort((a, b) => a - b);
  const floor = floors[RUNS >> 1];
  console.error(`floor (scan 100,000 orders): median ${floor.toFixed(1)} ms`);

  const ranges = { year: "from=2026-01-01&to=2026-12-01", month: "from=2026-06-01&to=2026-07-01" };
  const rows = [];
  for (const name of ["mrr", "subscriptions", "retention", "ltv", "enrolments"]) {
    for (const [label, query] of Object.entries(ranges)) {
      const call = async () => {
        const t = performance.now();
        const res = await fetch(`${url}v1/metrics/${name}?${query}`, {
          headers: { authorization: `Bearer ${key}` },
        });
        const body = await res.text();
        if (res.status !== 200) throw new Error(`${name} ${label}: ${res.status} ${body.slice(0, 300)}`);
        return performance.now() - t;
      };
      await call();
      const ms = [];
      for (let i = 0; i < RUNS; i++) ms.push(await call());
      ms.sort((a, b) => a - b);
      rows.push({
        route: `/v1/metrics/${name}`,
        range: label,
        median_ms: Math.round(ms[RUNS >> 1]),
        max_ms: Math.round(ms.at(-1)),
        x_floor: Number((ms[RUNS >> 1] / floor).toFixed(1)),
      });
    }
  }
  console.table(rows);
  const over = rows.filter((r) => r.x_floor > BUDGET_X);
  if (over.length > 0) {
    console.error(`over ${BUDGET_X} × the floor:`, over);
    process.exitCode = 1;
  } else console.error(`every route's median is within ${BUDGET_X} × the floor`);
} finally {
  await mf.dispose();
  rmSync(state, { recursive: true, force: true });
}

/** A deterministic random stream, so every run seeds the same dataset. */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Inserts `rows` (arrays of SQL literals) into `table` in statements of 200 rows, batched. */
async function insert(d1, table, columns, rows) {
  const statements = [];
  for (let i = 0; i < rows.length; i += 200) {
    const values = rows
      .slice(i, i + 200)
      .map((r) => `(${r.map(lit).join(",")})`)
      .join(",");
    statements.push(d1.prepare(`INSERT INTO ${table} (${columns.join(",")}) VALUES ${values}`));
  }
  for (let i = 0; i < statements.length; i += 50) await d1.batch(statements.slice(i, i + 50));
}
function lit(v) {
  return v === null ? "NULL" : typeof v === "number" ? String(v) : `'${String(v).replaceAll("'", "''")}'`;
}

/** One creator's year: members, offers, subscriptions with movements and invoices, orders, entitlements. */
async function seed(d1, creator, key, scale) {
  const random = rng(creator.length * 7919 + Math.round(scale * 1000));
  const pick = (list) => list[Math.floor(random() * list.length)];
  const at = () => YEAR_START + Math.floor(random() * SPAN);
  const now = Date.now();
  const hash = createHash("sha256").update(key).digest("hex");
  await d1.batch([
    d1
      .prepare(`INSERT INTO creators (id, name, default_currency, created_at) VALUES (?, 'Bench', 'USD', ?)`)
      .bind(creator, now),
    d1
      .prepare(
        `INSERT INTO api_keys (id, creator_id, name, prefix, hash, created_at) VALUES (?, ?, 'bench', ?, ?, ?)`,
      )
      .bind(`key_${creator}`, creator, key.slice(0, 10), hash, now),
  ]);
  const kinds = ["one_time", "one_time", "upsell", "bundle"];
  const offers = kinds.map((kind, i) => [
    `off_${creator}_${i}`,
    creator,
    kind,
    kind,
    "USD",
    null,
    null,
    i === 0 ? 1 : 0,
    now,
    now,
  ]);
  const tiers = ["week", "fortnight", "month", "year"].map((b, i) => [
    `off_${creator}_t${i}`,
    creator,
    "membership",
    b,
    "USD",
    b,
    i + 1,
    0,
    now,
    now,
  ]);
  await insert(
    d1,
    "offers",
    [
      "id",
      "creator_id",
      "kind",
      "title",
      "default_currency",
      "billing_interval",
      "tier_rank",
      "requires_shipping",
      "created_at",
      "updated_at",
    ],
    [...offers, ...tiers],
  );

  const nSubs = Math.round(N.subscriptions * scale);
  const nBuyers = Math.round(N.buyers * scale);
  const members = [];
  const cohorts = ["founding", "seasonal", "utility", "utility"];
  const sources = ["link", "link", "overlay", "api", "pos:Spring fair", "pos:Summer fest"];
  for (let i = 0; i < nSubs + nBuyers; i++) {
    members.push([
      `mem_${creator}_${i}`,
      creator,
      `m${i}@${creator}.test`,
      pick(cohorts),
      pick(sources),
      at(),
      now,
    ]);
  }
  await insert(
    d1,
    "members",
    ["id", "creator_id", "email", "cohort", "acquisition_source", "joined_at", "updated_at"],
    members,
  );

  const intervals = [
    ["week", 1, 300, (a) => Math.round((a * 52) / 12)],
    ["week", 2, 600, (a) => Math.round((a * 52) / 24)],
    ["month", 1, 1000, (a) => a],
    ["month", 1, 1500, (a) => a],
    ["year", 1, 12000, (a) => Math.round(a / 12)],
  ];
  const subs = [];
  const moves = [];
  const invoices = [];
  const entitlements = [];
  for (let i = 0; i < nSubs; i++) {
    const [unit, count, amount, monthly] = pick(intervals);
    const joined = members[i][5];
    const id = `sub_${creator}_${i}`;
    const churns = random() < 0.25;
    const end = churns ? joined + Math.floor(random() * (YEAR_START + SPAN - joined)) : null;
    subs.push([
      id,
      creator,
      members[i][0],
      `off_${creator}_t${i % 4}`,
      amount,
      "USD",
      unit,
      count,
      joined,
      churns ? "canceled" : "active",
      joined,
      joined + 30 * DAY,
      "sandbox",
      `ord_${creator}_s${i}`,
      joined,
      now,
    ]);
    const m = monthly(amount);
    moves.push([`mrr_${creator}_${i}_n`, creator, id, "new", m, "USD", joined, joined]);
    if (random() < 0.3) {
      const t = joined + Math.floor(random() * 60 * DAY);
      const delta = random() < 0.5 ? Math.round(m / 2) : -Math.round(m / 3);
      moves.push([
        `mrr_${creator}_${i}_c`,
        creator,
        id,
        delta > 0 ? "expansion" : "contraction",
        delta,
        "USD",
        t,
        t,
      ]);
    }
    if (end !== null) {
      moves.push([`mrr_${creator}_${i}_x`, creator, id, "churn", -m, "USD", end + 61 * DAY, end]);
      if (random() < 0.2)
        moves.push([`mrr_${creator}_${i}_r`, creator, id, "reactivation", m, "USD", end + 90 * DAY, end]);
    }
    for (let k = 0; k < 5; k++) {
      const start = joined + k * 30 * DAY;
      const failed = random() < 0.1;
      const status = failed ? pick(["paid", "uncollectible", "open"]) : random() < 0.03 ? "refunded" : "paid";
      invoices.push([
        `inv_${creator}_${i}_${k}`,
        creator,
        id,
        k,
        start,
        start + 30 * DAY,
        amount,
        "USD",
        status,
        failed ? 2 + Math.floor(random() * 4) : 1,
        status === "paid" || status === "refunded" ? start : null,
        start,
        start,
      ]);
    }
    entitlements.push([
      `ent_${creator}_s${i}`,
      creator,
      members[i][0],
      `off_${creator}_t${i % 4}`,
      "subscription",
      id,
      joined,
      end ?? joined + 400 * DAY,
      null,
    ]);
  }
  await insert(
    d1,
    "subscriptions",
    [
      "id",
      "creator_id",
      "member_id",
      "offer_id",
      "amount",
      "currency",
      "interval_unit",
      "interval_count",
      "anchor",
      "status",
      "period_start",
      "period_end",
      "provider",
      "order_id",
      "created_at",
      "updated_at",
    ],
    subs,
  );
  await insert(
    d1,
    "mrr_movements",
    ["id", "creator_id", "subscription_id", "kind", "amount", "currency", "at", "created_at"],
    moves,
  );
  await insert(
    d1,
    "subscription_invoices",
    [
      "id",
      "creator_id",
      "subscription_id",
      "period_index",
      "period_start",
      "period_end",
      "amount",
      "currency",
      "status",
      "attempts",
      "paid_at",
      "created_at",
      "updated_at",
    ],
    invoices,
  );

  const orders = [];
  const nOrders = Math.round(N.orders * scale);
  for (let i = 0; i < nOrders; i++) {
    const m = members[Math.floor(random() * members.length)];
    const offer = Math.floor(random() * 4);
    const paid = Math.max(m[5], at());
    const status = random() < 0.05 ? "refunded" : "paid";
    orders.push([
      `ord_${creator}_${i}`,
      creator,
      m[0],
      m[2],
      `off_${creator}_${offer}`,
      1,
      "USD",
      500 + Math.floor(random() * 5000),
      status,
      pick(["link", "overlay", "pos", "api"]),
      offer === 0 ? pick(["micro_hub", "central"]) : null,
      paid,
      paid,
      paid,
    ]);
    if (i < nBuyers)
      entitlements.push([
        `ent_${creator}_o${i}`,
        creator,
        m[0],
        `off_${creator}_${offer}`,
        "order",
        `ord_${creator}_${i}`,
        paid,
        null,
        status === "refunded" ? paid + DAY : null,
      ]);
  }
  await insert(
    d1,
    "orders",
    [
      "id",
      "creator_id",
      "member_id",
      "email",
      "offer_id",
      "quantity",
      "currency",
      "amount_total",
      "status",
      "source",
      "fulfilment_path",
      "paid_at",
      "created_at",
      "updated_at",
    ],
    orders,
  );
  await insert(
    d1,
    "entitlements",
    [
      "id",
      "creator_id",
      "member_id",
      "benefit_key",
      "source_type",
      "source_id",
      "granted_at",
      "expires_at",
      "revoked_at",
    ],
    entitlements,
  );
  return {
    members: members.length,
    subscriptions: subs.length,
    movements: moves.length,
    invoices: invoices.length,
    orders: orders.length,
    entitlements: entitlements.length,
  };
}
