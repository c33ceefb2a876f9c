/**
 * What one purchase costs on Cloudflare's meters, measured through the real worker in workerd: D1 rows
 * read and written (each result's `meta`, the figures D1 bills), Durable Object requests (RPC calls and
 * fetches on stubs), queue messages and Rate Limiting calls, for a quote and for a checkout from create to
 * paid, with the sandbox and with Stripe (the fake, through the official SDK, its webhooks delivered).
 * The figures are printed (docs/deploy.md, "What it costs", multiplies them by a month's volume) and held
 * under generous ceilings, so a change that multiplies the rows a purchase touches fails here. It is not
 * a timing test. Caches are warm, as in production: one purchase of the same drop runs first, unmetered.
 */
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app";
import { setRequestQueueSends } from "../../src/webhooks/queue";
import type { Json } from "../support/api";
import { type DoCalls, meteredD1, meteredLimiter, meteredNamespace, meteredQueue } from "../support/d1-meter";
import { createDrop } from "../support/fixtures";
import { stripeWorld } from "../support/stripe-world";
import { createTenant } from "../support/tenants";

/** Bindings metered for one step: every billed binding wrapped around the real one. */
function meteredEnv(base: Env) {
  const d1 = meteredD1(base.DB);
  const doCalls: DoCalls = new Map();
  const queue = meteredQueue(base.WEBHOOK_QUEUE);
  const publicLimiter = meteredLimiter(base.PUBLIC_RATE_LIMITER);
  const creatorLimiter = meteredLimiter(base.CREATOR_API_RATE_LIMITER);
  const bindings: Env = {
    ...base,
    DB: d1.binding,
    DROP_INVENTORY: meteredNamespace("DROP_INVENTORY", base.DROP_INVENTORY, doCalls),
    STOCK_RELAY: meteredNamespace("STOCK_RELAY", base.STOCK_RELAY, doCalls),
    EXPOSURE_COUNTER: meteredNamespace("EXPOSURE_COUNTER", base.EXPOSURE_COUNTER, doCalls),
    RATE_COUNTER: meteredNamespace("RATE_COUNTER", base.RATE_COUNTER, doCalls),
    WEBHOOK_QUEUE: queue.queue,
    PUBLIC_RATE_LIMITER: publicLimiter.limiter,
    CREATOR_API_RATE_LIMITER: creatorLimiter.limiter,
  };
  const usage = () => ({
    d1: { read: d1.usage.read, written: d1.usage.written },
    sandbox: { read: d1.usage.providerRead, written: d1.usage.providerWritten },
    durableObjects: [...doCalls.values()].reduce((a, b) => a + b, 0),
    doCalls: Object.fromEntries(doCalls),
    queueMessages: queue.sent.messages,
    rateLimitCalls: publicLimiter.seen.calls + creatorLimiter.seen.calls,
    queries: d1.usage.queries,
  });
  return { bindings, usage };
}

const app = buildApp();
/**
 * Requests arrive from a public address, as in production: without one (or from loopback) the rate limits
 * stand aside outside production (src/ratelimit/keys.ts), and their binding and counter calls would go
 * uncounted.
 */
const PUBLIC_CLIENT = { "cf-connecting-ip": "203.0.113.7" };

/** One request through the real app with `bindings`, its waitUntil work awaited before it returns. */
async function call(
  bindings: Env,
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string>,
) {
  const deferred: Promise<unknown>[] = [];
  const ctx = {
    waitUntil: (p: Promise<unknown>) => void deferred.push(p),
    passThroughOnException() {},
    props: {},
  } as unknown as ExecutionContext;
  const res = await app.fetch(
    new Request(`http://api.test${path}`, {
      method,
      headers: { "content-type": "application/json", ...PUBLIC_CLIENT, ...headers },
      body: JSON.stringify(body),
    }),
    bindings,
    ctx,
  );
  await Promise.allSettled(deferred);
  return { status: res.status, body: (await res.json()) as Json };
}

const email = () => `fan-${crypto.randomUUID()}@example.test`;

/** A quote by `buyerId` for one unit of `drop`, with `bindings`. */
async function quoteFor(bindings: Env, drop: Json, buyerId: string) {
  const quote = await call(
    bindings,
    "POST",
    "/v1/quotes",
    { offer_id: drop.offer_id, drop_id: drop.id },
    {
      "buyer-id": buyerId,
    },
  );
  expect(quote.status, JSON.stringify(quote.body)).toBe(201);
  return quote;
}

type Usage = ReturnType<ReturnType<typeof meteredEnv>["usage"]>;
const report: Record<string, Omit<Usage, "queries">> = {};
const keep = (name: string, usage: Usage) => {
  const { queries, ...figures } = usage;
  report[name] = figures;
  return usage;
};

beforeAll(() => {
  // Requests poke the webhook dispatcher through the queue in production; the tests turn it off by
  // default (src/webhooks/queue.ts), so it is turned on here to count those messages.
  setRequestQueueSends(true);
});
afterAll(() => {
  setRequestQueueSends(undefined);
  const lines = Object.entries(report).map(
    ([name, u]) =>
      `  ${name}: D1 ${u.d1.read} rows read, ${u.d1.written} written` +
      (u.sandbox.read + u.sandbox.written > 0 ? ` (+ sandbox ${u.sandbox.read}/${u.sandbox.written})` : "") +
      `; DO requests ${u.durableObjects} ${JSON.stringify(u.doCalls)}; queue messages ${u.queueMessages}; ` +
      `rate limit calls ${u.rateLimitCalls}`,
  );
  // biome-ignore lint/suspicious/noConsole: the figures docs/deploy.md's cost table multiplies
  console.log(`checkout cost (per purchase, warm caches):\n${lines.join("\n")}`);
});

describe("what a purchase costs on Cloudflare's meters", () => {
  it("a change that multiplies a quote's or a sandbox checkout's D1 rows or object requests fails here", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 50 });
    // Warm the isolate (known drops, cohort rules) with a first purchase; its quote, the first for the
    // offer in this isolate, is reported as the cold figure.
    const cold = meteredEnv(env);
    const warmBuyer = `warm-${crypto.randomUUID()}`;
    const warm = await quoteFor(cold.bindings, drop, warmBuyer);
    const coldUsage = keep("quote, cold (first for its offer in the isolate)", cold.usage());
    const warmed = await call(
      env,
      "POST",
      "/v1/checkouts",
      {
        quote: warm.body.token,
        email: email(),
        payment_method: "4242424242424242",
      },
      { "buyer-id": warmBuyer, "idempotency-key": `chk-${crypto.randomUUID()}` },
    );
    expect(warmed.body.status, JSON.stringify(warmed.body)).toBe("paid");

    const buyerId = `cost-${crypto.randomUUID()}`;
    const quoting = meteredEnv(env);
    const quote = await quoteFor(quoting.bindings, drop, buyerId);
    const quoteUsage = keep("quote", quoting.usage());

    const paying = meteredEnv(env);
    const paid = await call(
      paying.bindings,
      "POST",
      "/v1/checkouts",
      {
        quote: quote.body.token,
        email: email(),
        payment_method: "4242424242424242",
      },
      { "buyer-id": buyerId, "idempotency-key": `chk-${crypto.randomUUID()}` },
    );
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    expect(paid.body.status).toBe("paid");
    const checkoutUsage = keep("sandbox checkout (create to paid)", paying.usage());

    const trace = (u: Usage) => u.queries.map((q) => `${q.read}r ${q.written}w  ${q.sql}`).join("\n");
    // The meters moved: a ceiling over zeros would hold for a broken meter too.
    expect(quoteUsage.d1.read, trace(quoteUsage)).toBeGreaterThan(0);
    expect(checkoutUsage.d1.written, trace(checkoutUsage)).toBeGreaterThan(0);
    expect(checkoutUsage.durableObjects).toBeGreaterThan(0);
    // Ceilings about three times today's figures (printed above): a regression that multiplies them fails.
    expect(coldUsage.d1.read, trace(coldUsage)).toBeLessThanOrEqual(QUOTE_MAX.read);
    expect(coldUsage.d1.written, trace(coldUsage)).toBeLessThanOrEqual(QUOTE_MAX.written);
    expect(quoteUsage.d1.read, trace(quoteUsage)).toBeLessThanOrEqual(QUOTE_MAX.read);
    expect(quoteUsage.d1.written, trace(quoteUsage)).toBeLessThanOrEqual(QUOTE_MAX.written);
    expect(quoteUsage.durableObjects, JSON.stringify(quoteUsage.doCalls)).toBeLessThanOrEqual(
      QUOTE_MAX.objects,
    );
    // A quote writes nothing a webhook could carry, so it pokes no dispatcher: at a million quotes a
    // month those pokes were most of the queue's bill.
    expect(quoteUsage.queueMessages).toBe(0);
    expect(checkoutUsage.queueMessages).toBe(1);
    expect(checkoutUsage.d1.read, trace(checkoutUsage)).toBeLessThanOrEqual(CHECKOUT_MAX.read);
    expect(checkoutUsage.d1.written, trace(checkoutUsage)).toBeLessThanOrEqual(CHECKOUT_MAX.written);
    expect(checkoutUsage.durableObjects, JSON.stringify(checkoutUsage.doCalls)).toBeLessThanOrEqual(
      CHECKOUT_MAX.objects,
    );
  });

  it("a change that multiplies a Stripe checkout's D1 rows, its webhook included, fails here", async () => {
    const world = stripeWorld();
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 50 });
    const warmBuyer = `warm-${crypto.randomUUID()}`;
    const warm = await quoteFor(world.bindings, drop, warmBuyer);
    const warmed = await world.checkout(warmBuyer, {
      quote: warm.body.token,
      email: email(),
      payment_method: "pm_card_visa",
    });
    expect(warmed.body.status, JSON.stringify(warmed.body)).toBe("paid");

    const buyerId = `cost-${crypto.randomUUID()}`;
    const quote = await quoteFor(world.bindings, drop, buyerId);
    const metered = meteredEnv(world.bindings);
    Object.assign(world.bindings, metered.bindings);
    const from = world.fake.events.length;
    const res = await world.call(
      "POST",
      "/v1/checkouts",
      JSON.stringify({ quote: quote.body.token, email: email(), payment_method: "pm_card_visa" }),
      { "buyer-id": buyerId, "idempotency-key": `chk-${crypto.randomUUID()}`, ...PUBLIC_CLIENT },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.status).toBe("paid");
    const events = world.fake.events.length - from;
    await world.deliverAll(res.body.payment.id as string, from);
    const usage = keep(`stripe checkout + its ${events} webhook event(s)`, metered.usage());
    const trace = usage.queries.map((q) => `${q.read}r ${q.written}w  ${q.sql}`).join("\n");
    expect(usage.d1.written, trace).toBeGreaterThan(0);
    expect(usage.durableObjects, JSON.stringify(usage.doCalls)).toBeLessThanOrEqual(CHECKOUT_MAX.objects);
    expect(usage.d1.read, trace).toBeLessThanOrEqual(CHECKOUT_MAX.read + INBOX_MAX.read * events);
    expect(usage.d1.written, trace).toBeLessThanOrEqual(CHECKOUT_MAX.written + INBOX_MAX.written * events);
  });
});

// Measured 2026-12-02 (the printed report): a quote reads 1 row warm and COLD_READ cold, writes none,
// and asks 2 objects; a checkout reads 18 rows, writes 50 and asks 4 objects. Ceilings about 3x that;
// a quote writes nothing at all (its route's promise).
const COLD_READ = 5;
const QUOTE_MAX = { read: 3 * COLD_READ, written: 0, objects: 4 };
const CHECKOUT_MAX = { read: 60, written: 150, objects: 8 };
/** Per Stripe webhook event: its inbox row and the settlement's reads (measured 5 read, 2 written). */
const INBOX_MAX = { read: 20, written: 10 };
