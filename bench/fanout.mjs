// The broadcast fan-out benchmark's load generator (bench/fanout.sh serves the worker): N WebSocket
// viewers on ONE stock relay of a fresh drop, then rounds of one hold each through the public holds
// route; per round, the time from sending the hold to the last viewer's message carrying it.
//
//   node --import tsx bench/fanout.mjs <base-url> [sockets,sockets,...] [rounds]
// Prints one `FANOUT_JSON {...}` line per socket count: p50 and p90 over the rounds of the time to the
// last viewer, the median viewer's time, and the hold request's own round trip.
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { shardOf } from "../src/stream/shards.ts";

const [base, countsArg = "1000,4000", roundsArg = "15"] = process.argv.slice(2);
if (!base) {
  console.error("usage: node --import tsx bench/fanout.mjs <base-url> [sockets,...] [rounds]");
  process.exit(2);
}
const rounds = Number(roundsArg);
const WARMUP_ROUNDS = 2;
/** Longer than the drop's publish interval (250 ms), so each hold is published at once. */
const GAP_MS = 600;
const CONNECT_BATCH = 250;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const round1 = (x) => Math.round(x * 10) / 10;

/** Viewer keys the route sends to the drop's relay 0, so every socket lands on one relay. */
function keysOnOneRelay(n) {
  const keys = [];
  for (let i = 0; keys.length < n; i++) {
    const key = `bench-viewer-${i.toString(36).padStart(6, "0")}`;
    if (shardOf(key) === 0) keys.push(key);
  }
  return keys;
}

async function newDrop() {
  const res = await fetch(`${base}/bench/setup`, { method: "POST" });
  if (!res.ok) throw new Error(`bench/setup answered ${res.status}`);
  return (await res.json()).drop_id;
}

function connect(dropId, key) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace(/^http/, "ws")}/v1/drops/${dropId}/stream?viewer=${key}`);
    const viewer = { ws, onMessage: null };
    ws.on("message", (data) => viewer.onMessage?.(JSON.parse(String(data))));
    ws.once("message", () => resolve(viewer));
    ws.once("error", reject);
  });
}

async function connectAll(dropId, n) {
  const keys = keysOnOneRelay(n);
  const viewers = [];
  for (let i = 0; i < keys.length; i += CONNECT_BATCH)
    viewers.push(...(await Promise.all(keys.slice(i, i + CONNECT_BATCH).map((k) => connect(dropId, k)))));
  return viewers;
}

/** One hold; resolves with when each viewer saw it (ms after the hold was sent). */
async function oneRound(dropId, viewers, heldAfter, index) {
  const seen = new Array(viewers.length);
  let left = viewers.length;
  let t0 = 0;
  const all = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`round ${index}: ${left} viewers never saw the hold`)),
      30_000,
    );
    viewers.forEach((v, i) => {
      v.onMessage = (m) => {
        if (m.held < heldAfter) return;
        v.onMessage = null;
        seen[i] = performance.now() - t0;
        if (--left === 0) {
          clearTimeout(timer);
          resolve();
        }
      };
    });
  });
  t0 = performance.now();
  const res = await fetch(`${base}/v1/drops/${dropId}/holds`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "buyer-id": `bench-fanout-buyer-${index}-${Date.now()}`,
      "idempotency-key": `bench-fanout-${index}-${Date.now()}`,
    },
    body: JSON.stringify({ quantity: 1 }),
  });
  const holdMs = performance.now() - t0;
  if (res.status !== 201) throw new Error(`the hold answered ${res.status}: ${await res.text()}`);
  await all;
  seen.sort((a, b) => a - b);
  return { last: seen.at(-1), median: quantile(seen, 0.5), holdMs };
}

for (const n of countsArg.split(",").map(Number)) {
  const dropId = await newDrop();
  const t = performance.now();
  const viewers = await connectAll(dropId, n);
  const connectS = (performance.now() - t) / 1000;
  const results = [];
  for (let r = 0; r < WARMUP_ROUNDS + rounds; r++) {
    await sleep(GAP_MS);
    const result = await oneRound(dropId, viewers, r + 1, r);
    if (r >= WARMUP_ROUNDS) results.push(result);
  }
  for (const v of viewers) v.ws.terminate();
  const lasts = results.map((x) => x.last).sort((a, b) => a - b);
  const medians = results.map((x) => x.median).sort((a, b) => a - b);
  const holds = results.map((x) => x.holdMs).sort((a, b) => a - b);
  const summary = {
    sockets: n,
    relays: 1,
    rounds,
    connect_s: round1(connectS),
    last_viewer_ms: { p50: round1(quantile(lasts, 0.5)), p90: round1(quantile(lasts, 0.9)) },
    median_viewer_ms: { p50: round1(quantile(medians, 0.5)) },
    hold_request_ms: { p50: round1(quantile(holds, 0.5)) },
  };
  console.log(`FANOUT_JSON ${JSON.stringify(summary)}`);
  await sleep(1000);
}
process.exit(0);
