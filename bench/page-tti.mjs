#!/usr/bin/env node
/**
 * The hosted checkout page's time to interactive in real Chromium on a throttled phone profile, and
 * the buyer surfaces' sizes: `node bench/page-tti.mjs` (RUNS=15 by default).
 *
 * - The worker is the browser tests' isolated one (test/browser/support/serve.ts: as `npm start` serves
 *   it, with a fresh persist directory and the demo creator), pinned to core SERVER_CORE (0); this
 *   script and Chromium run on LOAD_CORE (1), with taskset, so the browser and the worker never share a core.
 * - Each run is a cold load in a fresh browser context (no cache, a new buyer) of a link to the demo's
 *   live drop, under Lighthouse's mobile profile: 150 ms RTT, 1.6 Mbps down, 750 Kbps up
 *   (Network.emulateNetworkConditions) and a 4x CPU slowdown (Emulation.setCPUThrottlingRate).
 * - "Interactive" is the page's own `performance.mark("cc:interactive")` when it sets one; otherwise the
 *   first moment the price is shown (#total has a figure), its script has run (the document is parsed:
 *   the script is inline at the end of the body) and #continue is enabled, observed from inside the page
 *   by a script installed before the page's own.
 * - Transferred bytes are Resource Timing's transferSize (headers and encoded body) of the document and
 *   every response that had arrived by interactive, and by its first quote (the one API call the page
 *   makes on load; the stock stream's WebSocket is not counted).
 * - Sizes: /embed.js and the page's HTML (its CSS and script are inline) as served, and gzip -9 of each.
 *
 * Prints a table and one JSON line (`{"bench":"page-tti",...}`) with the figures.
 */
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";

const root = path.join(import.meta.dirname, "..");
const RUNS = Number(process.env.RUNS ?? 15);
const SERVER_CORE = process.env.SERVER_CORE ?? "0";
const LOAD_CORE = process.env.LOAD_CORE ?? "1";
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// Lighthouse's "Slow 4G" mobile throttling (its devtools constants): RTT 150 ms, 1.6 Mbps, 750 Kbps.
const NETWORK = {
  offline: false,
  latency: 150,
  downloadThroughput: (1.6 * 1024 * 1024) / 8,
  uploadThroughput: (750 * 1024) / 8,
};
const CPU_SLOWDOWN = Number(process.env.CPU_SLOWDOWN ?? 4);
// NETWORK=off drops the network profile (with CPU_SLOWDOWN=1: what the page costs unthrottled).
const THROTTLE_NETWORK = process.env.NETWORK !== "off";

const hasTaskset = spawnSync("taskset", ["-V"]).status === 0;

// Pin this script (and so Chromium, which it launches) to LOAD_CORE: re-run under taskset once.
if (hasTaskset && process.env.CC_TTI_PINNED !== "1") {
  const child = spawn("taskset", ["-c", LOAD_CORE, process.execPath, ...process.argv.slice(1)], {
    stdio: "inherit",
    env: { ...process.env, CC_TTI_PINNED: "1" },
  });
  const [code] = await once(child, "exit");
  process.exit(code ?? 1);
}
if (!hasTaskset) console.warn("taskset not found: the worker and Chromium are not pinned to cores");

async function startWorker() {
  const tsx = path.join(root, "node_modules/.bin/tsx");
  const serve = path.join(root, "test/browser/support/serve.ts");
  const [cmd, args] = hasTaskset ? ["taskset", ["-c", SERVER_CORE, tsx, serve]] : [tsx, [serve]];
  const child = spawn(cmd, args, {
    cwd: root,
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    if (line.startsWith("{")) return { child, ...JSON.parse(line) };
  }
  throw new Error("the worker exited before it served");
}

async function api(worker, method, pathname, body) {
  const res = await fetch(`${worker.origin}${pathname}`, {
    method,
    headers: {
      authorization: `Bearer ${worker.apiKey}`,
      "content-type": "application/json",
      "idempotency-key": crypto.randomUUID(),
    },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${pathname}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Installed before the page's own script: records when the page first becomes interactive. */
const probe = `(() => {
  const ready = () => {
    const total = document.getElementById("total");
    const go = document.getElementById("continue");
    return document.readyState !== "loading" && total !== null && /\\d/.test(total.textContent || "") &&
      go !== null && !go.disabled;
  };
  const check = () => {
    if (window.__ccInteractive !== undefined) return;
    const mark = performance.getEntriesByName("cc:interactive", "mark")[0];
    if (mark) window.__ccInteractive = { at: mark.startTime, by: "mark" };
    else if (ready()) window.__ccInteractive = { at: performance.now(), by: "dom" };
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  document.addEventListener("DOMContentLoaded", check);
  new PerformanceObserver(check).observe({ type: "mark", buffered: true });
})();`;

async function oneRun(browser, url) {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 3,
    isMobile: true,
    hasTouch: true,
  });
  await context.addInitScript(probe);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  if (THROTTLE_NETWORK) await cdp.send("Network.emulateNetworkConditions", NETWORK);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: CPU_SLOWDOWN });
  const quoted = page.waitForResponse((r) => r.url().endsWith("/v1/quotes"), { timeout: 120_000 });
  await page.goto(url, { waitUntil: "load", timeout: 120_000 });
  await page.waitForFunction("window.__ccInteractive !== undefined", undefined, { timeout: 120_000 });
  await (await quoted).finished();
  // Resource Timing's transferSize (headers and encoded body) of what had arrived by each moment.
  const figures = await page.evaluate(`(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    const resources = performance.getEntriesByType("resource");
    const quote = resources.find((r) => r.name.endsWith("/v1/quotes"));
    const bytesBy = (t) => nav.transferSize +
      resources.filter((r) => r.responseEnd <= t).reduce((sum, r) => sum + r.transferSize, 0);
    const tti = window.__ccInteractive;
    return { tti: tti.at, by: tti.by, dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
      quote: quote ? quote.responseEnd : NaN, bytesAtInteractive: bytesBy(tti.at),
      bytesToQuote: quote ? bytesBy(quote.responseEnd) : NaN };
  })()`);
  await context.close();
  return figures;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};

async function sizes(worker, linkId) {
  const get = async (pathname) => {
    const res = await fetch(`${worker.origin}${pathname}`);
    if (!res.ok) throw new Error(`GET ${pathname}: ${res.status}`);
    const body = Buffer.from(await res.arrayBuffer());
    return { bytes: body.length, gzip: gzipSync(body, { level: 9 }).length };
  };
  return { widget: await get("/embed.js"), page: await get(`/l/${linkId}`) };
}

if (!existsSync(CHROMIUM_PATH)) {
  console.error(`no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`);
  process.exit(2);
}
const worker = await startWorker();
let browser;
try {
  const link = await api(worker, "POST", "/v1/links", {
    offer_id: "off_demo_poster",
    drop_id: "drp_demo_live",
  });
  const url = `${worker.origin}/l/${link.id}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
  // One unthrottled load first: the worker's isolate and its D1 warm up, as a deployed worker is warm.
  await (await browser.newPage()).goto(url);
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await oneRun(browser, url));
  const size = await sizes(worker, link.id);
  const pick = (k) => runs.map((r) => r[k]);
  const ms = (x) => `${Math.round(x)} ms`;
  const row = (name, xs, f) =>
    console.log(
      `${name.padEnd(34)} median ${f(median(xs)).padStart(9)}  p90 ${f(quantile(xs, 0.9)).padStart(9)}  min ${f(Math.min(...xs)).padStart(9)}`,
    );
  console.log(
    `\nlink page, ${RUNS} cold loads, ${THROTTLE_NETWORK ? "150 ms RTT, 1.6 Mbps down / 750 Kbps up" : "unthrottled network"}, CPU ${CPU_SLOWDOWN}x` +
      ` (interactive by ${[...new Set(pick("by"))].join("/")}); worker on core ${SERVER_CORE}, Chromium on core ${LOAD_CORE}${hasTaskset ? "" : " (unpinned)"}`,
  );
  row("time to interactive", pick("tti"), ms);
  row("DOMContentLoaded", pick("dcl"), ms);
  row("load", pick("load"), ms);
  row("first quote applied (API call)", pick("quote"), ms);
  row("bytes transferred to interactive", pick("bytesAtInteractive"), (b) => `${b} B`);
  row("bytes transferred to first quote", pick("bytesToQuote"), (b) => `${b} B`);
  console.log(
    `sizes: /embed.js ${size.widget.bytes} B (${size.widget.gzip} B gzipped); ` +
      `the page's HTML with its inline CSS and JS ${size.page.bytes} B (${size.page.gzip} B gzipped)`,
  );
  console.log(
    JSON.stringify({
      bench: "page-tti",
      runs: RUNS,
      network: THROTTLE_NETWORK ? { rtt_ms: 150, down_kbps: 1638.4, up_kbps: 750 } : null,
      cpu_slowdown: CPU_SLOWDOWN,
      pinned: hasTaskset,
      interactive_by: [...new Set(pick("by"))],
      tti_ms: { median: median(pick("tti")), p90: quantile(pick("tti"), 0.9), min: Math.min(...pick("tti")) },
      dcl_ms: median(pick("dcl")),
      quote_ms: median(pick("quote")),
      bytes_to_interactive: median(pick("bytesAtInteractive")),
      bytes_to_quote: median(pick("bytesToQuote")),
      sizes: size,
    }),
  );
} finally {
  await browser?.close();
  worker.child.stdin.end();
  await once(worker.child, "exit");
}
