// Faithful mode's server: the bundled bench worker under Miniflare's Node API, loaded on a direct socket
// to the user worker (no entry worker, no proxy runtime, no inspector, no local observability, no
// request logs). Bindings, vars, compatibility date and flags come from bench/wrangler.toml through
// wrangler's own reader, so they match what `wrangler dev` would give the worker.
//
//   node bench/serve.mjs <bundle.js> <persist-dir>
// <persist-dir> is what `wrangler d1 migrations apply --local --persist-to` was given (the migrated D1
// lives under its v3/). A third argument sets the worker's BENCH_D1_DELAY_MS var (every D1 round trip waits
// that long; see bench/worker.ts). PORT picks the socket's port (default: a free one). Prints
// `BENCH_URL http://127.0.0.1:<port>` once the worker answers, and disposes on SIGTERM or SIGINT.
import { dirname, resolve } from "node:path";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

const [bundle, persist, d1DelayMs] = process.argv.slice(2);
if (!bundle || !persist) {
  console.error("usage: node bench/serve.mjs <bundle.js> <persist-dir>");
  process.exit(2);
}

const { workerOptions } = unstable_getMiniflareWorkerOptions(resolve("bench/wrangler.toml"));
const bindings = { ...workerOptions.bindings };
if (d1DelayMs !== undefined) bindings.BENCH_D1_DELAY_MS = d1DelayMs;

const mf = new Miniflare(
  convertV4MiniflareOptions({
    log: new Log(LogLevel.WARN),
    logRequests: false,
    // No request.cf fetched from the network: the placeholder (the app reads the buyer-country header).
    cf: false,
    unsafeObservability: false,
    unsafeLocalExplorer: false,
    unsafeInspectDurableObjects: false,
    // The same layout wrangler uses for --persist-to, so the migrations it applied are found.
    resourcePersistencePath: resolve(persist, "v3"),
    ...workerOptions,
    rootPath: undefined,
    name: "creator-commerce-edge-bench",
    bindings,
    modulesRules: undefined,
    modulesRoot: dirname(resolve(bundle)),
    modules: [{ type: "ESModule", path: resolve(bundle) }],
    unsafeDirectSockets: [{ host: "127.0.0.1", port: Number(process.env.PORT ?? 0) }],
  }),
);

let closing = false;
const close = async () => {
  if (closing) return;
  closing = true;
  await mf.dispose().catch(() => {});
  process.exit(0);
};
process.on("SIGTERM", close);
process.on("SIGINT", close);

const url = await mf.unsafeGetDirectURL();
const hello = await fetch(new URL("/bench/hello", url)).then((r) => r.text());
if (hello !== "hello") {
  console.error(`the worker answered ${JSON.stringify(hello)} to /bench/hello`);
  await close();
}
console.log(`BENCH_URL ${url.origin}`);
