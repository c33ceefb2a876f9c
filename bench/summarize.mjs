// Prints a run's figures (run.sh's state directory): medians per route, each route's ratio to its floor
// (median of per-round ratios) against its target, latency at one connection, the latency mode with a
// D1 delay, saturation, and the oversell check of every drop reserved on. Writes the same as JSON to
// the path given second. Exits 1 on oversell or on a non-2xx answer outside the reserve routes.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [dir, out] = process.argv.slice(2);
const read = (name, fallback = null) =>
  existsSync(join(dir, name)) ? JSON.parse(readFileSync(join(dir, name), "utf8") || "null") : fallback;
const lines = (name) =>
  existsSync(join(dir, name))
    ? readFileSync(join(dir, name), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];
const rows = lines("results.jsonl");
const checks = lines("checks.jsonl");
const meta = read("meta.json", {});
const median = (values) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length === 0
    ? Number.NaN
    : sorted.length % 2
      ? sorted[mid]
      : (sorted[mid - 1] + sorted[mid]) / 2;
};
const fixed = (v, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : "n/a");
const mark = (ok) => (ok ? "met" : "NOT MET");

const summary = {};
for (const name of new Set(rows.map((r) => r.name))) {
  const runs = rows.filter((r) => r.name === name);
  summary[name] = {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50_ms)),
    p90: median(runs.map((r) => r.p90_ms)),
    cpuUs: median(runs.map((r) => (r.cpu_ticks / r.ticks_per_s / r.requests) * 1e6)),
    requests: runs.reduce((n, r) => n + r.requests, 0),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    errors: runs.reduce((n, r) => n + r.socket_errors, 0),
    rejectedItems: runs.reduce((n, r) => n + (r.rejected_items ?? 0), 0),
    overloaded: runs.reduce((n, r) => n + (r.overloaded ?? 0), 0),
    ...(runs[0].d1_round_trips !== undefined && {
      d1PerRequest: median(runs.map((r) => r.d1_round_trips / r.requests)),
    }),
  };
}
console.log(
  `\n${meta.mode ?? "?"} mode, ${meta.date ?? "?"}, ${meta.cores ?? "?"} cores (${meta.cpu ?? "?"}), commit ${meta.commit ?? "?"}; ` +
    `${meta.rounds} rounds of ${meta.duration} at ${meta.connections} connections`,
);
const table = (names) => {
  console.log(
    "route           req/s (median)   p50 ms   p90 ms   CPU µs/req   requests   non-2xx   socket errors",
  );
  for (const name of names) {
    const s = summary[name];
    console.log(
      `${name.padEnd(15)} ${fixed(s.rps, 0).padStart(14)} ${fixed(s.p50).padStart(8)} ${fixed(s.p90).padStart(8)} ` +
        `${fixed(s.cpuUs, 0).padStart(12)} ${String(s.requests).padStart(10)} ${String(s.non2xx).padStart(9)} ${String(s.errors).padStart(15)}`,
    );
  }
};
const names = Object.keys(summary);
console.log("");
table(names.filter((n) => !n.includes("@")));

for (const name of ["reserve", "reserve_aged", "pg"].filter((n) => summary[n]?.non2xx > 0)) {
  const s = summary[name];
  console.log(`${name}: ${s.non2xx} non-2xx answers, ${s.overloaded} of them 503 (shed by the drop)`);
}

// Each app route against the floor it is judged by, and the issue's target for that ratio (null: context).
const comparisons = [
  ["price", "hello", 0.8],
  ["quote", "hello", 0.6],
  ["mint", "hello", 0.7],
  ["reserve", "echo", 0.8],
  ["reserve_aged", "echo", 0.8],
  ["reserve", "pg", 3],
  ["issue", "hello", null],
  ["issue", "d1", null],
  ["reserve_aged", "reserve", null],
  ["d1", "hello", null],
  ["checkout", "hello", null],
];
const rounds = [...new Set(rows.map((r) => r.round))];
const perRound = (name) => new Map(rows.filter((r) => r.name === name).map((r) => [r.round, r.rps]));
const ratios = [];
console.log("");
for (const [route, floor, target] of comparisons) {
  if (!summary[route] || !summary[floor]) {
    if (target !== null) console.log(`${route} / ${floor}: not measured in this run (target >= ${target}x)`);
    continue;
  }
  const [a, b] = [perRound(route), perRound(floor)];
  const each = rounds.map((n) => a.get(n) / b.get(n)).filter(Number.isFinite);
  const ratio = median(each);
  const byCpu = summary[floor].cpuUs / summary[route].cpuUs;
  ratios.push({
    route,
    floor,
    ratio,
    rounds: each,
    by_cpu: byCpu,
    target,
    met: target === null ? null : ratio >= target,
  });
  console.log(
    `${`${route} / ${floor}`.padEnd(24)} ${fixed(ratio).padStart(6)}x  rounds [${each.map((r) => fixed(r)).join(", ")}]  ` +
      `by CPU/request ${fixed(byCpu)}x   ${target === null ? "(context)" : `target >= ${target}x: ${mark(ratio >= target)}`}`,
  );
}

// One buyer's wait, at one connection. The sign route makes 50 signatures per request, so one signature
// is its excess over hello / 50; the issue's budget for minting is hello's p50 plus three signatures.
const latency = {};
const oneConnection = names.filter((n) => n.endsWith("@1"));
if (oneConnection.length > 0) {
  console.log("\nat one connection:");
  table(oneConnection);
  const [hello1, sign1] = [summary["hello@1"], summary["sign@1"]];
  if (hello1 && sign1) {
    const signMs = (sign1.p50 - hello1.p50) / 50;
    const budget = hello1.p50 + 3 * signMs;
    Object.assign(latency, {
      signature_us: signMs * 1000,
      signature_cpu_us: (sign1.cpuUs - hello1.cpuUs) / 50,
      budget_ms: budget,
    });
    console.log(
      `raw Ed25519 signature: ${fixed(signMs * 1000, 1)} µs by p50, ${fixed(latency.signature_cpu_us, 1)} µs by CPU; ` +
        `p50 budget = hello ${fixed(hello1.p50, 3)} + 3 signatures = ${fixed(budget, 3)} ms`,
    );
    for (const name of ["mint", "issue"]) {
      const one = summary[`${name}@1`];
      if (!one) continue;
      latency[`${name}_within_budget`] = one.p50 <= budget;
      console.log(
        `${name} p50 = ${fixed(one.p50, 3)} ms (hello + ${fixed(one.p50 - hello1.p50, 3)} ms): ${one.p50 <= budget ? "within" : "OVER"} the budget`,
      );
    }
  }
}

// Latency mode: every D1 round trip waits meta.d1_delay_ms, at one connection.
const delayed = names.filter((n) => n.endsWith("+d1"));
let d1Delay = null;
if (delayed.length > 0) {
  console.log(`\nlatency mode, every D1 round trip delayed ${meta.d1_delay_ms} ms, one connection:`);
  d1Delay = { delay_ms: meta.d1_delay_ms, routes: {} };
  for (const name of delayed) {
    const s = summary[name];
    d1Delay.routes[name.replace("@1+d1", "")] = {
      p50_ms: s.p50,
      p90_ms: s.p90,
      requests: s.requests,
      d1_round_trips_per_request: s.d1PerRequest,
    };
    console.log(
      `${name.replace("@1+d1", "").padEnd(10)} p50 ${fixed(s.p50, 1).padStart(7)} ms   p90 ${fixed(s.p90, 1).padStart(7)} ms   ` +
        `${fixed(s.d1PerRequest, 1)} D1 round trips per request   (${s.requests} requests, ${s.non2xx} non-2xx)`,
    );
  }
  const checkout = summary["checkout@1+d1"];
  if (checkout) {
    d1Delay.checkout_p50_under_150ms = checkout.p50 < 150;
    console.log(
      `checkout p50 with ${meta.d1_delay_ms} ms D1 delay < 150 ms: ${mark(checkout.p50 < 150)} (${fixed(checkout.p50, 1)} ms)`,
    );
  }
}

// Saturation: one fresh drop at many connections; refused answers are 503 `overloaded`.
const saturation = read("saturate.json");
if (saturation) {
  const count = (status) => saturation.statuses[status]?.count ?? 0;
  saturation.refused_share = count(503) / saturation.requests;
  const line = (status) => {
    const s = saturation.statuses[status];
    return s
      ? `p50 ${fixed(s.p50_ms, 1)} / p90 ${fixed(s.p90_ms, 1)} / p99 ${fixed(s.p99_ms, 1)} ms`
      : "none";
  };
  const others = Object.keys(saturation.statuses).filter((s) => s !== "201" && s !== "503");
  console.log(
    `\nsaturation: ${saturation.connections} connections for ${fixed(saturation.seconds, 1)} s, ${fixed(saturation.rps, 0)} answers/s, ` +
      `${saturation.requests} answers (${count(201)} accepted, ${count(503)} refused), ${saturation.errors} socket errors\n` +
      `refused (503) share: ${fixed(saturation.refused_share * 100, 1)} %\naccepted (201): ${line(201)}\nrefused (503):  ${line(503)}` +
      (others.length ? `\nother statuses: ${others.map((s) => `${s} x${count(s)}`).join(", ")}` : ""),
  );
}

if (summary.pos1 && summary.pos500) {
  const [one, many] = [summary.pos1.rps, summary.pos500.rps * 500];
  console.log(
    `\nPOS enrolments/s: ${fixed(one, 0)} in 1-item batches, ${fixed(many, 0)} in 500-item batches: ${fixed(many / one, 1)}x (target >= 10x)`,
  );
  if (summary.pos500drop) {
    const drop = summary.pos500drop.rps * 500;
    console.log(
      `POS drop sales from an allotment, 500-item batches: ${fixed(drop, 0)}/s, ${fixed(drop / many)}x plain 500-item enrolments`,
    );
  }
}
const checkoutStats = read("checkout-stats.json");
if (summary.checkout && checkoutStats) {
  console.log(
    `\ncheckouts: ${fixed(summary.checkout.rps, 0)}/s; payment success → entitlement over ${checkoutStats.paid} paid: ` +
      `p50 ${checkoutStats.p50_ms} ms, p90 ${checkoutStats.p90_ms} ms, max ${checkoutStats.max_ms} ms`,
  );
}

// Oversell: every drop's counters add up, its object finds no violation, and it holds at least what was
// seeded plus every hold the load generators saw granted (holds last an hour, longer than a run).
const granted = (drop) =>
  rows.filter((r) => r.drop === drop).reduce((n, r) => n + r.requests - r.non2xx, 0) +
  (checks.find((c) => c.role === "saturation")?.drop === drop
    ? (saturation?.statuses["201"]?.count ?? 0)
    : 0);
const verdicts = checks.map(({ role, drop, seeded, check }) => {
  if (check === null) return { role, drop, ok: false, why: "no answer" };
  const want = role === "main" ? 0 : seeded + granted(drop);
  if (role === "pg") {
    const ok = check.held === check.live && check.held + check.sold <= check.stock && check.held >= want;
    return { role, drop, ok, held: check.held, granted: want };
  }
  const { snapshot: s, violations } = check;
  const ok =
    s.available + s.held + s.sold === s.stock &&
    s.available >= 0 &&
    violations.length === 0 &&
    s.held >= want;
  return { role, drop, ok, held: s.held, sold: s.sold, granted: want, violations };
});
const oversold = verdicts.filter((v) => !v.ok);
if (verdicts.length > 0) {
  console.log(
    `\noversell check over ${verdicts.length} drops (${[...new Set(verdicts.map((v) => v.role))].join(", ")}): ` +
      (oversold.length === 0
        ? "none (counters add up, no invariant violated, every granted hold is held)"
        : `OVERSELL OR DRIFT: ${JSON.stringify(oversold)}`),
  );
  const aged = verdicts.find((v) => v.role === "aged");
  if (aged)
    console.log(
      `aged drop: ${aged.held} live holds at the end (${meta.aged_holds} seeded before the rounds)`,
    );
}

// Renewals (bench/renewals.ts): medians over the rounds of each mode.
const renewalFile = join(dir, "renewals.jsonl");
const renewalRuns = existsSync(renewalFile)
  ? readFileSync(renewalFile, "utf8")
      .split("\n")
      .filter((l) => l.trim().startsWith("{"))
      .map((l) => JSON.parse(l))
  : [];
const renewals = {};
for (const mode of [...new Set(renewalRuns.map((r) => r.mode))]) {
  const runs = renewalRuns.filter((r) => r.mode === mode);
  const med = (k) => median(runs.map((r) => r[k]).filter((v) => typeof v === "number"));
  renewals[mode] = {
    rounds: runs.length,
    n: runs[0]?.n,
    renewed: runs.map((r) => r.renewed),
    renewals_per_s: med("renewals_per_s"),
    floor_round_trips_per_s: med("floor_round_trips_per_s"),
    ratio: med("renewals_per_s") / med("floor_round_trips_per_s"),
    success_to_entitlement_p50_ms: med("success_to_entitlement_p50_ms"),
    success_to_entitlement_p99_ms: med("success_to_entitlement_p99_ms"),
  };
  const x = renewals[mode];
  console.log(
    `\nrenewals (${mode}, ${x.rounds} rounds of ${x.n}): ${x.renewals_per_s.toFixed(0)}/s beside a D1 floor of ` +
      `${x.floor_round_trips_per_s.toFixed(0)} round trips/s (${x.ratio.toFixed(2)}x); payment success to ` +
      `entitlement p50 ${x.success_to_entitlement_p50_ms} ms, p99 ${x.success_to_entitlement_p99_ms} ms; renewed ${x.renewed.join(", ")}`,
  );
}

const reserveLike = new Set(["reserve", "reserve_aged", "pg"]);
const failed = names.filter(
  (n) => (summary[n].non2xx > 0 && !reserveLike.has(n.split("@")[0])) || summary[n].rejectedItems > 0,
);
if (failed.length > 0) {
  const what = failed.map(
    (n) => `${n} (${summary[n].non2xx} non-2xx, ${summary[n].rejectedItems} items rejected)`,
  );
  console.log(`refused answers on ${what.join(", ")}: those figures are not valid`);
}

if (out) {
  const result = {
    meta,
    routes: summary,
    ratios,
    latency,
    d1_delay: d1Delay,
    saturation,
    checkout: checkoutStats,
    oversell: verdicts,
    renewals,
  };
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nJSON summary: ${out}`);
}
if (oversold.length > 0 || failed.length > 0) process.exit(1);
