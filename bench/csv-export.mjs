// The orders CSV export's memory, as the range grows (issue 17: "the CSV export's memory stays flat as
// the range grows"). Bundles the real worker (wrangler deploy --dry-run, as bench/lib.sh does), serves it
// under Miniflare's Node API with a fresh local D1, seeds one creator with N orders straight into D1
// (N = 10k, 50k, 100k by default; a third of them physical, with a shipping address), then streams
// GET /v1/orders.csv over the whole range and records, per N: rows, bytes, seconds, rows/s, and the
// workerd process's resident memory before the export and at its peak during it (sampled from
// /proc/<pid>/status every 20 ms). The body is read as it arrives, so the worker's memory is what its
// stream holds, not the file.
//
//   node bench/csv-export.mjs [10000,50000,100000]
// Prints a Markdown table, then the figures as one line of JSON. About a minute.
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from "wrangler";

const sizes = (process.argv[2] ?? "10000,50000,100000").split(",").map(Number);
const work = mkdtempSync(join(tmpdir(), "csv-export-bench-"));
const DAY = 86_400_000;

// 1. The production bundle of the worker, as wrangler would deploy it.
execFileSync(
  process.execPath,
  [
    "--no-warnings",
    "node_modules/wrangler/wrangler-dist/cli.js",
    "deploy",
    "--dry-run",
    "--outdir",
    join(work, "bundle"),
    "-c",
    "wrangler.toml",
    "--env=",
  ],
  { stdio: ["ignore", "ignore", "pipe"] },
);
const bundle = join(work, "bundle", "index.js");

// 2. Served the way bench/serve.mjs serves the bench worker: wrangler.toml's bindings, the bench's
// development keys (bench/wrangler.toml), no request logs, a direct socket.
const { workerOptions } = unstable_getMiniflareWorkerOptions(resolve("wrangler.toml"));
const benchVars = unstable_readConfig(
  { config: resolve("bench/wrangler.toml") },
  { hideWarnings: true },
).vars;
const mf = new Miniflare(
  convertV4MiniflareOptions({
    log: new Log(LogLevel.WARN),
    logRequests: false,
    cf: false,
    unsafeObservability: false,
    unsafeLocalExplorer: false,
    unsafeInspectDurableObjects: false,
    ...workerOptions,
    assets: undefined,
    triggers: undefined,
    rootPath: undefined,
    name: "creator-commerce-edge-csv-bench",
    bindings: { ...workerOptions.bindings, ...benchVars, ENVIRONMENT: "development" },
    d1Persist: join(work, "d1"),
    durableObjectsPersist: join(work, "do"),
    modulesRules: undefined,
    modulesRoot: dirname(bundle),
    modules: [{ type: "ESModule", path: bundle }],
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  }),
);
const url = await mf.unsafeGetDirectURL();

/** The workerd process this Miniflare started: our child whose command is workerd. */
function workerdPid() {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && /workerd/.test(readFileSync(`/proc/${entry}/cmdline`, "utf8"))) {
        return Number(entry);
      }
    } catch {
      // the process ended while we looked
    }
  }
  throw new Error("no workerd child process found");
}
const pid = workerdPid();
const rssMb = () => {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
  return line ? Number(line[1]) / 1024 : Number.NaN;
};

// 3. The schema: the same migration files wrangler applies.
const db = await mf.getD1Database("DB");
for (const file of readdirSync("migrations")
  .filter((f) => f.endsWith(".sql"))
  .sort()) {
  const statements = readFileSync(join("migrations", file), "utf8")
    .split("--> statement-breakpoint")
    .map((s) => s.trim())
    .filter(Boolean);
  await db.batch(statements.map((s) => db.prepare(s)));
}

// 4. One creator, its API key and one offer; orders are added batch by batch as N grows.
const creatorId = "cre_csvbench";
const offerId = "off_csvbench";
const key = `cc_sk_${randomBytes(24).toString("hex")}`;
const hash = createHash("sha256").update(key).digest("hex");
const now = Date.now();
await db.batch([
  db
    .prepare("INSERT INTO creators (id, name, default_currency, created_at) VALUES (?, ?, ?, ?)")
    .bind(creatorId, "CSV bench", "USD", now),
  db
    .prepare(
      "INSERT INTO api_keys (id, creator_id, name, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind("key_csvbench", creatorId, "bench", key.slice(0, 12), hash, now),
  db
    .prepare(
      "INSERT INTO offers (id, creator_id, kind, title, default_currency, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(offerId, creatorId, "one_time", 'Tour poster, "signed"', "USD", now, now),
]);

const start = Date.UTC(2026, 0, 1);
const q = (s) => `'${String(s).replaceAll("'", "''")}'`;
let seeded = 0;
async function seedTo(n) {
  const ROWS = 200; // D1 refuses a statement over 100 KB
  const statements = [];
  for (let i = seeded; i < n; i += ROWS) {
    const values = [];
    for (let j = i; j < Math.min(n, i + ROWS); j++) {
      // Spread over 300 days, several orders per millisecond now and then (ties broken by id).
      const at = start + Math.floor((j * 300 * DAY) / 200_000) - (j % 7 === 0 ? 1 : 0);
      const physical = j % 3 === 0;
      const address = physical
        ? q(
            JSON.stringify({
              name: `Buyer ${j}`,
              line1: `${j} Long Street, Unit ${j % 40}`,
              line2: "",
              city: "Manchester",
              region: "",
              postal_code: "M1 1AE",
              country: "GB",
            }),
          )
        : "NULL";
      values.push(
        `(${q(`ord_b${String(j).padStart(9, "0")}`)}, ${q(creatorId)}, ${q(`buyer${j}@example.test`)}, ${q(offerId)}, 1, 'USD', 2500, 'paid', 'link', ${at}, ${at}, ${at}, ${address}, ${physical ? "'unfulfilled'" : "NULL"})`,
      );
    }
    statements.push(
      db.prepare(
        `INSERT INTO orders (id, creator_id, email, offer_id, quantity, currency, amount_total, status, source, created_at, updated_at, paid_at, shipping_address, fulfilment_status) VALUES ${values.join(",")}`,
      ),
    );
  }
  for (let k = 0; k < statements.length; k += 20) await db.batch(statements.slice(k, k + 20));
  seeded = n;
}

/** Streams the whole range's export, sampling workerd's RSS while it runs. */
async function exportAll() {
  const from = new Date(start - DAY).toISOString();
  const to = new Date(start + 365 * DAY).toISOString();
  const before = rssMb();
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb());
  }, 20);
  const t0 = performance.now();
  const res = await fetch(new URL(`/v1/orders.csv?created_from=${from}&created_to=${to}`, url), {
    headers: { authorization: `Bearer ${key}` },
  });
  if (res.status !== 200) throw new Error(`export answered ${res.status}: ${await res.text()}`);
  let bytes = 0;
  let lines = 0;
  for await (const chunk of res.body) {
    bytes += chunk.length;
    for (const b of chunk) if (b === 10) lines += 1;
  }
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, rssMb());
  // Lines, not rows: quoted cells may hold line breaks, but none of the seeded ones do.
  return { rows: lines - 1, bytes, seconds, before, peak };
}

const results = [];
try {
  // The first request compiles the worker's bundle: spend that before anything is measured.
  await exportAll();
  for (const n of sizes) {
    await seedTo(n);
    // Pull the orders' table and index pages into D1's SQLite cache (it lives in the workerd process),
    // so the RSS the export adds is the export's own, not the database's pages arriving.
    await db.prepare("SELECT sum(length(email) + ifnull(length(shipping_address), 0)) FROM orders").all();
    await db
      .prepare("SELECT count(*) FROM orders INDEXED BY orders_creator_created_idx WHERE creator_id = ?")
      .bind(creatorId)
      .all();
    const seededRss = rssMb();
    await exportAll(); // a warm-up: it brings the rows' pages into D1's cache, as any earlier read would
    const r = await exportAll();
    if (r.rows !== n) throw new Error(`exported ${r.rows} rows of ${n}`);
    results.push({ n, ...r, seededRss, rowsPerSecond: Math.round(r.rows / r.seconds) });
  }
} finally {
  await mf.dispose();
  rmSync(work, { recursive: true, force: true });
}

// "at rest": workerd's RSS once the orders are in D1 (its SQLite pages live in the same process, so this
// grows with the data); "before": just before the measured export, after a warm-up one; "peak": the highest
// sample during it. The export's own share is peak − before.
console.log("| orders | CSV size | time | rows/s | RSS at rest | before | peak | export's share |");
console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
const mb = (x) => `${x.toFixed(0)} MB`;
for (const r of results) {
  console.log(
    `| ${r.n.toLocaleString("en")} | ${(r.bytes / 1e6).toFixed(1)} MB | ${r.seconds.toFixed(2)} s | ${r.rowsPerSecond.toLocaleString("en")} | ${mb(r.seededRss)} | ${mb(r.before)} | ${mb(r.peak)} | ${(r.peak - r.before).toFixed(1)} MB |`,
  );
}
console.log(`\n${JSON.stringify({ at: new Date().toISOString(), results })}`);
