#!/usr/bin/env node
/**
 * The admission queue, watched from the overlay (docs/admission-demo.md). With `npm start` serving:
 *
 *   node scripts/queue-demo.mjs [--viewers 300] [--stock 40] [--rate 3] [--in 20] [--drop drp_…]
 *
 * It creates a demo drop of the demo poster that starts in `--in` seconds with the queue on at `--rate`
 * viewers a second (or, with `--drop`, PATCHes that drop so: restocked to `--stock` more units), a link
 * and an overlay URL for it, and prints both. Then `--viewers` simulated viewers (distinct Buyer-Ids)
 * join the queue before the start; once the queue admits, each admitted viewer buys at once with its
 * admission token (a quote, then a checkout paid with the sandbox's 4242 card, which holds with the
 * token), and a line a second says where the queue stands, until sold out. Plain Node 20: HTTP only.
 *
 * The API key is DEMO_API_KEY, else .wrangler/demo-api-key (what `npm start` printed).
 *
 * Each simulated viewer calls from an address of its own in 198.18.0.0/15 (the range set aside for
 * benchmarks), sent as CF-Connecting-IP: the public routes are rate limited per connecting address
 * (docs/rate-limits.md), and locally nothing fronts the worker, so the header is the address. On
 * Cloudflare the edge sets it and a client cannot; a few hundred viewers from one address would be
 * exactly the scalper the limit is there to stop.
 */
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values: opts } = parseArgs({
  options: {
    origin: { type: "string", default: "http://127.0.0.1:8787" },
    viewers: { type: "string", default: "300" },
    stock: { type: "string", default: "40" },
    rate: { type: "string", default: "3" },
    in: { type: "string", default: "20" },
    drop: { type: "string" },
    offer: { type: "string", default: "off_demo_poster" },
    timeout: { type: "string", default: "300" },
  },
});
const origin = opts.origin.replace(/\/$/, "");
const viewers = Number(opts.viewers);
const stock = Number(opts.stock);
const rate = Number(opts.rate);
const startsIn = Number(opts.in);
for (const [name, n] of Object.entries({ viewers, stock, rate, in: startsIn })) {
  if (!Number.isSafeInteger(n) || n < 1) fail(`--${name} must be a whole number of at least 1`);
}

function fail(message) {
  console.error(`queue-demo: ${message}`);
  process.exit(1);
}

const keyFile = ".wrangler/demo-api-key";
const key =
  process.env.DEMO_API_KEY?.trim() || (existsSync(keyFile) ? readFileSync(keyFile, "utf8").trim() : "");
if (key === "") fail(`no API key: run \`npm start\` first (it writes ${keyFile}), or set DEMO_API_KEY`);

/** One call; resolves `{status, body}` and throws only when the worker cannot be reached. */
async function call(method, path, { body, headers = {} } = {}) {
  let res;
  try {
    res = await fetch(`${origin}${path}`, {
      method,
      headers: { "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new Error(
      `${method} ${path}: ${error.cause?.code ?? error.message} (is \`npm start\` serving ${origin}?)`,
    );
  }
  const text = await res.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { detail: text.slice(0, 200) };
  }
  return { status: res.status, body: parsed };
}

/** A call that must answer one of `ok`; anything else ends the demo with the problem's words. */
async function must(method, path, options, ok = [200, 201]) {
  const res = await call(method, path, options);
  if (!ok.includes(res.status)) {
    const p = res.body ?? {};
    fail(`${method} ${path} answered ${res.status}: ${p.detail ?? p.title ?? JSON.stringify(p)}`);
  }
  return res.body;
}

const admin = () => ({ authorization: `Bearer ${key}`, "idempotency-key": crypto.randomUUID() });

/** Runs `fn` over `items`, `width` at a time: a few hundred viewers, not a few hundred sockets at once. */
async function pool(items, width, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

/** The i-th simulated viewer's address; the status poll has one of its own, past every viewer's. */
const simulatedIp = (i) => `198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
const pollerIp = { "cf-connecting-ip": "198.19.255.255" };
/** What a viewer's calls carry: its own Buyer-Id and its own address. */
const viewer = (p) => ({ "buyer-id": p.buyer, "cf-connecting-ip": p.ip });

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const t0 = Date.now();
const clock = () => `t+${String(Math.round((Date.now() - t0) / 1000)).padStart(3)}s`;

// ---- The drop: a fresh one, or the one named, starting soon with the queue on.
const startsAt = new Date(Date.now() + startsIn * 1000).toISOString();
const queue = { enabled: true, admit_per_second: rate };
let drop;
if (opts.drop === undefined) {
  drop = await must("POST", "/v1/drops", {
    headers: admin(),
    body: {
      offer_id: opts.offer,
      title: "Queue demo",
      stock,
      starts_at: startsAt,
      per_buyer_limit: 1,
      hold_ttl_seconds: 120,
      queue,
    },
  });
} else {
  // Stock is absolute and cannot fall below what is held or sold: `--stock` more units than that.
  const now = await must("GET", `/v1/drops/${encodeURIComponent(opts.drop)}/stock`, { headers: pollerIp });
  drop = await must("PATCH", `/v1/drops/${encodeURIComponent(opts.drop)}`, {
    headers: admin(),
    body: { stock: now.held + now.sold + stock, starts_at: startsAt, ends_at: null, queue },
  });
}
const dropPath = `/v1/drops/${encodeURIComponent(drop.id)}`;
const link = await must("POST", "/v1/links", {
  headers: admin(),
  body: { offer_id: drop.offer_id, drop_id: drop.id },
});
// The seeded drop's overlay URL is the one `npm start` printed: rotating its token would break it.
const seededToken = ".wrangler/demo-overlay-token";
const overlay =
  drop.id === "drp_demo_live" && existsSync(seededToken)
    ? { url: `${origin}/overlay/${drop.id}?token=${readFileSync(seededToken, "utf8").trim()}` }
    : await must("POST", `${dropPath}/overlay-token`, { headers: admin(), body: { link_id: link.id } });

console.log(`
  ${drop.id} starts at ${startsAt} (in ${startsIn} s) with ${stock} units and the queue on,
  admitting ${rate} viewer${rate === 1 ? "" : "s"} a second. Open the overlay now (1920x1080; an OBS browser source):

    ${overlay.url}

  and, to queue beside the simulated viewers, the drop's checkout page ("Join the queue"):

    ${link.url}
`);

// ---- Viewers join before the start: one ticket each, no place yet (places are drawn at the start).
const run = crypto.randomUUID().slice(0, 8);
const people = Array.from({ length: viewers }, (_, i) => ({
  buyer: `demo-viewer-${run}-${String(i).padStart(4, "0")}`,
  ip: simulatedIp(i),
  ticket: null,
  position: null,
  outcome: "waiting",
}));
await pool(people, 32, async (p) => {
  const res = await call("POST", `${dropPath}/queue`, { headers: viewer(p) });
  if (res.status === 409) fail(`the queue is not on for ${drop.id}: ${res.body?.detail ?? ""}`);
  if (res.status !== 201 && res.status !== 200) {
    fail(`joining the queue answered ${res.status}: ${res.body?.detail ?? JSON.stringify(res.body)}`);
  }
  p.ticket = res.body.id;
  p.position = res.body.position;
});
console.log(
  `${clock()}  ${viewers} viewers joined the queue; the drop starts in ${Math.max(0, Math.round((Date.parse(startsAt) - Date.now()) / 1000))} s`,
);

/** An admitted viewer buys one unit: a quote, then a checkout that holds with the admission token. */
async function buy(p, token) {
  const headers = viewer(p);
  const quote = await call("POST", "/v1/quotes", {
    headers,
    body: { offer_id: drop.offer_id, drop_id: drop.id },
  });
  if (quote.status !== 201) return `quote ${quote.status}`;
  const checkout = await call("POST", "/v1/checkouts", {
    headers: { ...headers, "admission-token": token, "idempotency-key": crypto.randomUUID() },
    body: {
      quote: quote.body.token,
      email: `${p.buyer}@example.test`,
      payment_method: "4242 4242 4242 4242",
    },
  });
  if (checkout.status !== 201)
    return `checkout ${checkout.status} ${checkout.body?.type?.split("/").pop() ?? ""}`;
  return checkout.body.status === "paid" ? "bought" : checkout.body.status;
}

/** Reads a ticket; an admitted one buys. Each viewer acts once. */
async function look(p) {
  const res = await call("GET", `${dropPath}/queue/${encodeURIComponent(p.ticket)}`, { headers: viewer(p) });
  if (res.status !== 200) return;
  const t = res.body;
  p.position = t.position;
  if (t.status === "admitted" && t.admission_token && p.outcome === "waiting") {
    p.outcome = "buying";
    p.outcome = await buy(p, t.admission_token);
  } else if (t.status === "sold_out" || t.status === "expired") {
    p.outcome = t.status;
  }
}

// ---- Until sold out. A status line a second from the broadcast (the stock read, as the overlay's poll
// reads it), while the viewers act on it apart: reading a few hundred tickets takes longer than a second.
const deadline = Date.now() + Number(opts.timeout) * 1000;
let latest = null;
let soldOutAt = null;
let finished = false;
const bought = () => people.filter((p) => p.outcome === "bought").length;

const printer = (async () => {
  let last = "";
  while (!finished && Date.now() < deadline) {
    const s = await must("GET", `${dropPath}/stock`, { headers: pollerIp });
    latest = s;
    const q = s.queue ?? null;
    const line = q
      ? `queue ${q.state.padEnd(9)} ${String(q.waiting).padStart(4)} waiting · admitted through #${q.admitted_through}` +
        ` · ${s.sold}/${s.stock} sold, ${s.held} held · ${bought()} viewers bought`
      : `no queue in the stock read (is the queue on?) · ${s.sold}/${s.stock} sold`;
    if (line !== last) console.log(`${clock()}  ${line}`);
    last = line;
    await sleep(1000);
  }
})();

let placesKnown = false;
while (Date.now() < deadline) {
  const q = latest?.queue ?? null;
  if (q?.state === "sold_out" || (latest !== null && q === null && latest.available === 0)) {
    soldOutAt = Date.now();
    // The broadcast told everyone at once; each viewer still waiting reads it on its own ticket too.
    await pool(
      people.filter((p) => p.outcome === "waiting"),
      32,
      look,
    );
    break;
  }
  if (q !== null && q.state !== "gathering") {
    if (!placesKnown) {
      // Places were drawn at the start: each viewer reads its ticket once to learn its own (and the
      // first admitted buy at once).
      // Few at a time: the local worker is one process, and the status line's read waits behind these.
      await pool(people, 8, look);
      placesKnown = true;
    }
    const due = people.filter(
      (p) => p.outcome === "waiting" && p.position !== null && p.position <= q.admitted_through,
    );
    await pool(due, 8, look);
  }
  await sleep(250);
}
finished = true;
await printer;

const tally = {};
for (const p of people) tally[p.outcome] = (tally[p.outcome] ?? 0) + 1;
const final = await must("GET", `${dropPath}/stock`, { headers: pollerIp });
console.log(`
  ${soldOutAt === null ? "Stopped before the drop sold out" : "Sold out"}: ${final.sold} of ${final.stock} units sold, ${final.held} held.
  The simulated viewers: ${Object.entries(tally)
    .map(([outcome, n]) => `${n} ${outcome}`)
    .join(", ")}.
  The overlay says so too: ${overlay.url}
`);
