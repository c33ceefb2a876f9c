#!/usr/bin/env node
/**
 * Webhook deliveries per second: the real claim, Standard Webhooks signing, POST and outcome batch
 * (src/webhooks/deliver.ts) against local D1, to a receiver worker that verifies nothing and answers
 * 204, both in one Miniflare (workerd) process. Prints each run and the median.
 *
 *   node bench/webhooks.mjs [--n 1000] [--runs 5]
 *
 * Local D1 is SQLite on this machine: each delivery costs two D1 round trips (claim, outcome), so the
 * figure measures the code and the local database, not Cloudflare's network or a remote primary.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";

const { values } = parseArgs({
  options: { n: { type: "string", default: "1000" }, runs: { type: "string", default: "5" } },
});
const root = path.join(import.meta.dirname, "..");
const bundle = await build({
  entryPoints: [path.join(root, "bench/webhooks-worker.ts")],
  bundle: true,
  format: "esm",
  platform: "neutral",
  conditions: ["workerd", "worker", "browser"],
  mainFields: ["module", "main"],
  write: false,
  logLevel: "warning",
});
const migrations = readdirSync(path.join(root, "migrations"))
  .filter((f) => f.endsWith(".sql"))
  .sort()
  .map((f) => readFileSync(path.join(root, "migrations", f), "utf8"));

const mf = new Miniflare(
  convertV4MiniflareOptions({
    log: new Log(LogLevel.WARN),
    cf: false,
    workers: [
      {
        name: "bench",
        modules: true,
        script: bundle.outputFiles[0].text,
        compatibilityDate: "2026-10-23",
        compatibilityFlags: ["nodejs_compat"],
        d1Databases: { DB: "bench-webhooks" },
        bindings: { MIGRATIONS: JSON.stringify(migrations) },
        serviceBindings: { RECEIVER: "receiver" },
      },
      {
        name: "receiver",
        modules: true,
        script:
          "export default { async fetch(r) { await r.text(); return new Response(null, { status: 204 }); } };",
        compatibilityDate: "2026-10-23",
      },
    ],
  }),
);

const rates = [];
try {
  for (let run = 0; run < Number(values.runs); run++) {
    const res = await mf.dispatchFetch(`http://bench/run?n=${values.n}`, { method: "POST" });
    const result = await res.json();
    console.log(JSON.stringify(result));
    rates.push(result.per_second);
  }
} finally {
  await mf.dispose();
}
rates.sort((a, b) => a - b);
console.log(
  `webhook deliveries per second (median of ${rates.length}): ${rates[Math.floor(rates.length / 2)]}`,
);
