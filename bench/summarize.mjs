// Prints medians per route, the reserve/echo and reserve/hello ratios, and the oversell check.
import { readFileSync } from "node:fs";

const [resultsFile, checkJson] = process.argv.slice(2);
const rows = readFileSync(resultsFile, "utf8")
  .trim()
  .split("\n")
  .map((line) => JSON.parse(line));
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const summary = {};
for (const name of ["hello", "echo", "reserve"]) {
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

console.log("\nroute     req/s (median)   p50 ms   p90 ms   CPU µs/req   requests   non-2xx   socket errors");
for (const [name, s] of Object.entries(summary)) {
  console.log(
    `${name.padEnd(9)} ${s.rps.toFixed(0).padStart(14)} ${s.p50.toFixed(2).padStart(8)} ${s.p90.toFixed(2).padStart(8)} ${s.cpuUs.toFixed(0).padStart(12)} ${String(s.requests).padStart(10)} ${String(s.non2xx).padStart(9)} ${String(s.errors).padStart(15)}`,
  );
}
const rounds = [...new Set(rows.map((r) => r.round))];
const perRound = (name) => new Map(rows.filter((r) => r.name === name).map((r) => [r.round, r.rps]));
const [hello, echo, reserve] = ["hello", "echo", "reserve"].map(perRound);
const roundRatios = rounds.map((n) => reserve.get(n) / echo.get(n));
const ratioEcho = median(roundRatios);
const ratioHello = median(rounds.map((n) => reserve.get(n) / hello.get(n)));
console.log(
  `\nreserve / echo  = ${ratioEcho.toFixed(2)}x median of rounds [${roundRatios.map((r) => r.toFixed(2)).join(", ")}]   (target >= 0.80x)`,
);
console.log(`reserve / hello = ${ratioHello.toFixed(2)}x`);
console.log(
  `CPU per request, reserve / echo = ${(summary.reserve.cpuUs / summary.echo.cpuUs).toFixed(2)}x (the runtime's own CPU time; steadier than req/s here)`,
);

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
