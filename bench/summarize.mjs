// Prints medians per route, each route's ratio to its floor (median of per-round ratios) against its
// target, and, when the reserve route ran, the oversell check.
import { readFileSync } from "node:fs";

const [resultsFile, checkJson, checkoutStatsJson] = process.argv.slice(2);
const rows = readFileSync(resultsFile, "utf8")
  .trim()
  .split("\n")
  .map((line) => JSON.parse(line));
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const names = [...new Set(rows.map((r) => r.name))];
const summary = {};
for (const name of names) {
  const runs = rows.filter((r) => r.name === name);
  summary[name] = {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50_ms)),
    p90: median(runs.map((r) => r.p90_ms)),
    cpuUs: median(runs.map((r) => (r.cpu_ticks / r.ticks_per_s / r.requests) * 1e6)),
    requests: runs.reduce((n, r) => n + r.requests, 0),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    errors: runs.reduce((n, r) => n + r.socket_errors, 0),
  };
}

console.log(
  "\nroute      req/s (median)   p50 ms   p90 ms   CPU µs/req   requests   non-2xx   socket errors",
);
for (const [name, s] of Object.entries(summary)) {
  console.log(
    `${name.padEnd(10)} ${s.rps.toFixed(0).padStart(14)} ${s.p50.toFixed(2).padStart(8)} ${s.p90.toFixed(2).padStart(8)} ${s.cpuUs.toFixed(0).padStart(12)} ${String(s.requests).padStart(10)} ${String(s.non2xx).padStart(9)} ${String(s.errors).padStart(15)}`,
  );
}

const rounds = [...new Set(rows.map((r) => r.round))];
const perRound = (name) => new Map(rows.filter((r) => r.name === name).map((r) => [r.round, r.rps]));
// Each app route against the floor it is judged by, and the issue's target for that ratio.
const comparisons = [
  ["reserve", "echo", 0.8],
  ["price", "hello", 0.9],
  ["quote", "hello", 0.5],
  ["issue", "hello", 0.5],
  ["mint", "hello", 0.5],
  ["issue", "d1", null],
  ["checkout", "hello", null],
];
console.log("");
for (const [route, floor, target] of comparisons) {
  if (!summary[route] || !summary[floor]) continue;
  const [a, b] = [perRound(route), perRound(floor)];
  const ratios = rounds.map((n) => a.get(n) / b.get(n));
  const cpu = summary[floor].cpuUs / summary[route].cpuUs;
  console.log(
    `${route} / ${floor} = ${median(ratios).toFixed(2)}x median of rounds [${ratios.map((r) => r.toFixed(2)).join(", ")}]` +
      `   (${target === null ? "context" : `target >= ${target.toFixed(2)}x`}; by CPU per request ${cpu.toFixed(2)}x)`,
  );
}

// One buyer's wait for a token, against hello's plus three raw signatures (the issue's budget). The
// sign route makes SIGNATURES signatures per request, so one signature is its excess over hello / 50.
const SIGNATURES = 50;
const [hello1, sign1] = [summary["hello@1"], summary["sign@1"]];
if (hello1 && sign1) {
  const signMs = (sign1.p50 - hello1.p50) / SIGNATURES;
  const signCpuUs = (sign1.cpuUs - hello1.cpuUs) / SIGNATURES;
  const budget = hello1.p50 + 3 * signMs;
  console.log(
    `\nraw Ed25519 signature: ${(signMs * 1000).toFixed(1)} µs by p50 latency, ${signCpuUs.toFixed(1)} µs by CPU; ` +
      `p50 budget at 1 connection = hello ${hello1.p50.toFixed(3)} + 3 signatures ${(3 * signMs).toFixed(3)} = ${budget.toFixed(3)} ms`,
  );
  for (const name of ["mint", "issue"]) {
    const one = summary[`${name}@1`];
    if (!one) continue;
    console.log(
      `${name} p50 at 1 connection = ${one.p50.toFixed(3)} ms (hello + ${(one.p50 - hello1.p50).toFixed(3)} ms): ` +
        `${one.p50 <= budget ? "within" : "OVER"} the budget`,
    );
  }
}

if (summary.pos1 && summary.pos500) {
  const [one, many] = [summary.pos1.rps * 1, summary.pos500.rps * 500];
  console.log(
    `\nPOS enrolments per second: ${one.toFixed(0)} in 1-item batches, ${many.toFixed(0)} in 500-item batches: ` +
      `${(many / one).toFixed(1)}x (target >= 10x)`,
  );
  if (summary.pos500drop) {
    const drop = summary.pos500drop.rps * 500;
    console.log(
      `POS drop sales from an allotment, 500-item batches: ${drop.toFixed(0)}/s, ` +
        `${(drop / one).toFixed(1)}x 1-item enrolments, ${(drop / many).toFixed(2)}x 500-item enrolments`,
    );
  }
}

if (summary.checkout && checkoutStatsJson) {
  const stats = JSON.parse(checkoutStatsJson);
  console.log(
    `\ncheckouts completed: ${summary.checkout.rps.toFixed(0)}/s (median of rounds); payment success → entitlement ` +
      `over ${stats.paid} paid checkouts: p50 ${stats.p50_ms} ms, p90 ${stats.p90_ms} ms, max ${stats.max_ms} ms`,
  );
}

if (summary.reserve) {
  const { snapshot, violations } = JSON.parse(checkJson);
  const granted = summary.reserve.requests - summary.reserve.non2xx;
  const sumOk = snapshot.available + snapshot.held + snapshot.sold === snapshot.stock;
  console.log(
    `\ndrop: stock ${snapshot.stock}, held ${snapshot.held}, sold ${snapshot.sold}, available ${snapshot.available}; ` +
      `wrk counted ${granted} granted reserves`,
  );
  const oversold = !sumOk || snapshot.available < 0 || violations.length > 0 || snapshot.held < granted;
  console.log(
    oversold
      ? `OVERSELL OR DRIFT: ${JSON.stringify(violations)}`
      : "oversell check: none (counters add up, every granted hold is held)",
  );
  if (oversold) process.exit(1);
}
const failed = Object.entries(summary).filter(([, s]) => s.non2xx > 0 && s !== summary.reserve);
if (failed.length > 0) {
  console.log(`non-2xx answers on ${failed.map(([n]) => n).join(", ")}: the figures above are not valid`);
  process.exit(1);
}
