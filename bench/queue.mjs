// The admission queue under a stampede (issue 18's benchmark), against a running bench worker:
//   1. joins: `viewers` distinct buyers take tickets for a queued drop before its start, on 32 keep-alive
//      connections: tickets a second, and the join latency's median;
//   2. the start: each viewer reads its ticket once (its shuffled place), then the admitted ones hold
//      one unit each with their admission token until the drop's STOCK units are gone;
//   3. sold out: a viewer on the stock stream (SSE) times the push that says the queue is sold out,
//      from the answer to the hold that took the last unit; then every still-waiting ticket is read
//      once, and the share that already says sold_out is reported (it must be all of them).
// Prints one line: `QUEUE_JSON {...}`.
//
//   node bench/queue.mjs <base-url> [viewers=2000] [stock=100] [admit_per_second=200]
import { Agent, request } from "node:http";

const [base, viewersArg = "2000", stockArg = "100", rateArg = "200"] = process.argv.slice(2);
if (!base) {
  console.error("usage: node bench/queue.mjs <base-url> [viewers] [stock] [admit_per_second]");
  process.exit(2);
}
const viewers = Number(viewersArg);
const stock = Number(stockArg);
const agent = new Agent({ keepAlive: true, maxSockets: 32 });
const origin = new URL(base);

/** One JSON request on the keep-alive pool: status, parsed body, and its latency in ms. */
const call = (method, path, headers = {}, body = undefined) =>
  new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const started = process.hrtime.bigint();
    const req = request(
      new URL(path, origin),
      {
        method,
        agent,
        headers: {
          ...headers,
          ...(payload === undefined
            ? {}
            : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (text += d));
        res.on("end", () => {
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          resolve({ status: res.statusCode, body: text ? JSON.parse(text) : null, ms });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });

/** Runs `work(i)` for i < n on `width` loops at once. */
async function pool(n, width, work) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let i = next++; i < n; i = next++) await work(i);
    }),
  );
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? null : s[Math.floor(s.length / 2)];
};

// A start far enough ahead that every join lands before it, measured from the joins' own rate.
const startsIn = Math.max(8000, Math.ceil(viewers / 200) * 1000 + 4000);
const setup = await call(
  "POST",
  `/bench/setup?stock=${stock}&per_buyer_limit=1&admit_per_second=${rateArg}&starts_in_ms=${startsIn}`,
);
const dropId = setup.body.drop_id;
const startsAt = Date.now() + startsIn;
const buyer = (i) => ({ "buyer-id": `bench-queue-viewer-${i}-${dropId}` });

// 1. Joins, all before the start.
const tickets = new Array(viewers);
const joinMs = [];
const joinStarted = process.hrtime.bigint();
await pool(viewers, 32, async (i) => {
  const res = await call("POST", `/v1/drops/${dropId}/queue`, buyer(i));
  if (res.status !== 201) throw new Error(`join ${i}: ${res.status} ${JSON.stringify(res.body)}`);
  tickets[i] = res.body.id;
  joinMs.push(res.ms);
});
const joinSeconds = Number(process.hrtime.bigint() - joinStarted) / 1e9;
if (Date.now() >= startsAt) throw new Error("the joins outlasted the start; raise starts_in_ms");

// The stream viewer: SSE, resolved by the first message whose queue says sold_out.
let soldOutPushAt = null;
const stream = new Promise((resolve) => {
  const req = request(
    new URL(`/v1/drops/${dropId}/stream`, origin),
    { headers: { accept: "text/event-stream" } },
    (res) => {
      let buffer = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        buffer += chunk;
        for (let cut = buffer.indexOf("\n\n"); cut !== -1; cut = buffer.indexOf("\n\n")) {
          const event = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const data = event.split("\n").find((l) => l.startsWith("data:"));
          if (data && JSON.parse(data.slice(5)).queue?.state === "sold_out" && soldOutPushAt === null) {
            soldOutPushAt = process.hrtime.bigint();
            req.destroy();
            resolve();
          }
        }
      });
    },
  );
  req.on("error", () => resolve());
  req.end();
});

await new Promise((r) => setTimeout(r, Math.max(0, startsAt - Date.now()) + 50));

// 2. Every viewer reads its ticket once to learn its place; then admitted viewers buy in place order.
const places = new Array(viewers);
await pool(viewers, 32, async (i) => {
  places[i] = (await call("GET", `/v1/drops/${dropId}/queue/${tickets[i]}`, buyer(i))).body;
});
const order = [...places.keys()].sort((a, b) => places[a].position - places[b].position);
let held = 0;
let lastHoldAt = null;
let cursor = 0;
while (held < stock && cursor < order.length) {
  const i = order[cursor];
  const ticket = (await call("GET", `/v1/drops/${dropId}/queue/${tickets[i]}`, buyer(i))).body;
  if (ticket.status === "sold_out") break;
  if (ticket.status !== "admitted") {
    await new Promise((r) => setTimeout(r, 20));
    continue;
  }
  const hold = await call(
    "POST",
    `/v1/drops/${dropId}/holds`,
    { ...buyer(i), "idempotency-key": `bench-queue-${i}`, "admission-token": ticket.admission_token },
    { quantity: 1 },
  );
  if (hold.status === 201) {
    held++;
    lastHoldAt = process.hrtime.bigint();
  }
  cursor++;
}

// 3. Sold out: the push, then one read of every ticket that never got its turn.
await Promise.race([stream, new Promise((r) => setTimeout(r, 10_000))]);
const waiting = order.slice(cursor);
let told = 0;
const sweepStarted = process.hrtime.bigint();
await pool(waiting.length, 32, async (k) => {
  const i = waiting[k];
  const res = await call("GET", `/v1/drops/${dropId}/queue/${tickets[i]}`, buyer(i));
  if (res.body.status === "sold_out") told++;
});
const sweepMs = Number(process.hrtime.bigint() - sweepStarted) / 1e6;
const finalStock = (await call("GET", `/bench/stock/${dropId}`)).body;
const result = {
  drop: dropId,
  viewers,
  stock,
  admit_per_second: Number(rateArg),
  tickets_per_s: viewers / joinSeconds,
  join_p50_ms: median(joinMs),
  held,
  sold_out_push_after_last_hold_ms:
    soldOutPushAt !== null && lastHoldAt !== null ? Number(soldOutPushAt - lastHoldAt) / 1e6 : null,
  waiting_after_sell_out: waiting.length,
  waiting_told_sold_out: told,
  sweep_ms: sweepMs,
  final: { available: finalStock.available, held: finalStock.held, sold: finalStock.sold },
};
console.log(`QUEUE_JSON ${JSON.stringify(result)}`);
agent.destroy();
process.exit(0);
