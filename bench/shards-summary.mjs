// Prints bench/shards.sh's figures: per shard count, the median reserves a second, p50 and p90, and the
// median of per-round ratios to one shard (measured in the same round); the stock check of every drop;
// and the queue's line from bench/queue.mjs. Writes the same as JSON to the path given third. Exits 1
// when a drop's aggregated stock disagrees with the answers wrk counted, or the queue left anyone
// waiting untold.
import { readFileSync, writeFileSync } from "node:fs";

const [resultsPath, queueLog, out] = process.argv.slice(2);
const rows = readFileSync(resultsPath, "utf8")
  .trim()
  .split("\n")
  .filter(Boolean)
  .map((l) => JSON.parse(l));
const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const counts = [...new Set(rows.map((r) => r.shards))].sort((a, b) => a - b);
const baseline = new Map(rows.filter((r) => r.shards === 1).map((r) => [r.round, r.rps]));
const summary = counts.map((shards) => {
  const mine = rows.filter((r) => r.shards === shards);
  return {
    shards,
    rounds: mine.length,
    rps: median(mine.map((r) => r.rps)),
    p50_ms: median(mine.map((r) => r.p50_ms)),
    p90_ms: median(mine.map((r) => r.p90_ms)),
    vs_one_shard: median(mine.map((r) => r.rps / (baseline.get(r.round) ?? Number.NaN))),
    overloaded: mine.reduce((n, r) => n + r.overloaded, 0),
  };
});
// Every 201 is one unit held (an hour's TTL, so none expire during the run). Requests still in flight
// when wrk stops may have landed unseen: held may exceed the 201s counted by at most the connections.
const checks = rows.map((r) => {
  const accepted = r.requests - r.non2xx;
  const extra = r.stock.held - accepted;
  return {
    drop: r.drop,
    shards: r.shards,
    accepted,
    held: r.stock.held,
    sold: r.stock.sold,
    ok: extra >= 0 && extra <= 64 && r.stock.held + r.stock.available + r.stock.sold === r.stock.stock,
  };
});
const queueLine = readFileSync(queueLog, "utf8")
  .split("\n")
  .find((l) => l.startsWith("QUEUE_JSON "));
const queue = queueLine ? JSON.parse(queueLine.slice("QUEUE_JSON ".length)) : null;

console.log(
  "\nreserve throughput on one drop (median of rounds; ratio = median of per-round ratios to 1 shard)",
);
console.log("shards   req/s    p50 ms   p90 ms   vs 1 shard   503s");
for (const s of summary) {
  console.log(
    `${String(s.shards).padStart(6)} ${s.rps.toFixed(0).padStart(7)} ${s.p50_ms.toFixed(2).padStart(8)} ${s.p90_ms.toFixed(2).padStart(8)} ${s.vs_one_shard.toFixed(2).padStart(12)} ${String(s.overloaded).padStart(6)}`,
  );
}
const bad = checks.filter((c) => !c.ok);
console.log(
  `\nstock check: ${checks.length - bad.length} of ${checks.length} drops held exactly what was accepted`,
);
for (const c of bad) console.log(`  MISMATCH ${JSON.stringify(c)}`);
if (queue) {
  console.log(
    `\nqueue: ${queue.viewers} viewers joined at ${queue.tickets_per_s.toFixed(0)} tickets/s (join p50 ${queue.join_p50_ms.toFixed(2)} ms); ` +
      `${queue.held} of ${queue.stock} units held by admitted viewers; sold-out push ${queue.sold_out_push_after_last_hold_ms?.toFixed(0) ?? "n/a"} ms after the last hold; ` +
      `${queue.waiting_told_sold_out} of ${queue.waiting_after_sell_out} waiting read sold_out (sweep ${queue.sweep_ms.toFixed(0)} ms)`,
  );
}
writeFileSync(out, JSON.stringify({ summary, checks, queue }, null, 2));
console.log(`\nwritten: ${out}`);
const queueBad =
  queue === null ||
  queue.waiting_told_sold_out !== queue.waiting_after_sell_out ||
  queue.held !== queue.stock;
process.exit(bad.length > 0 || queueBad ? 1 : 0);
