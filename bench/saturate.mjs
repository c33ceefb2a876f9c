// Saturation mode's load generator: `connections` loops on keep-alive connections, each sending reserves
// one after another (every request a new buyer and Idempotency-Key, one unit), for `seconds`. Unlike
// wrk's Lua, it keeps each request's latency with its status, so accepted (201) and refused (503)
// answers get their own percentiles. Prints one line: `SATURATE_JSON {...}`.
//
//   node bench/saturate.mjs <holds-url> [connections=256] [seconds=12]
import { Agent, request } from "node:http";

const [url, connections = "256", seconds = "12"] = process.argv.slice(2);
if (!url) {
  console.error("usage: node bench/saturate.mjs <holds-url> [connections] [seconds]");
  process.exit(2);
}
const n = Number(connections);
const agent = new Agent({ keepAlive: true, maxSockets: n, maxFreeSockets: n });
const target = new URL(url);
const body = '{"quantity":1}';
const prefix = `sat-${Date.now().toString(36)}`;
const byStatus = new Map(); // status -> latencies in ms
let errors = 0;
let counter = 0;

const once = () =>
  new Promise((resolve) => {
    const id = `${prefix}-${++counter}`;
    const started = process.hrtime.bigint();
    const req = request(
      target,
      {
        method: "POST",
        agent,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          "buyer-id": `bench-sat-${id}`,
          "idempotency-key": `bench-sat-${id}`,
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => {
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          const list = byStatus.get(res.statusCode) ?? [];
          list.push(ms);
          byStatus.set(res.statusCode, list);
          resolve();
        });
      },
    );
    req.on("error", () => {
      errors++;
      resolve();
    });
    req.end(body);
  });

const deadline = Date.now() + Number(seconds) * 1000;
const loop = async () => {
  while (Date.now() < deadline) await once();
};
const startedAt = Date.now();
await Promise.all(Array.from({ length: n }, loop));
const elapsed = (Date.now() - startedAt) / 1000;
agent.destroy();

const pct = (sorted, q) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : null;
const statuses = {};
let total = 0;
for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
  list.sort((a, b) => a - b);
  total += list.length;
  statuses[status] = {
    count: list.length,
    p50_ms: pct(list, 0.5),
    p90_ms: pct(list, 0.9),
    p99_ms: pct(list, 0.99),
  };
}
const summary = { connections: n, seconds: elapsed, requests: total, rps: total / elapsed, errors, statuses };
console.log(`SATURATE_JSON ${JSON.stringify(summary)}`);
