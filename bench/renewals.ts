/**
 * The renewal benchmark's routes (outside the wrk rounds): `POST /bench/renewals?n=1000` seeds a fresh
 * creator with n weekly sandbox subscriptions (paid, card saved), advances its sandbox clock one week
 * and times what the renewal engine does with all of them (claims, charges, one guarded batch each),
 * beside the D1 floor measured in the same request: n single-statement round trips at the engine's
 * concurrency. Also the time from each renewal payment's success to its extended entitlement.
 */
import { Hono } from "hono";
import { readConfig } from "../src/config";
import { database } from "../src/db/client";
import { apiKeys, creators, members, offerPrices, offers } from "../src/db/schema";
import { displayPrefix, generateApiKey, hashApiKey } from "../src/lib/api-keys";
import { newId } from "../src/lib/ids";
import { paymentProvider } from "../src/payments";
import { paidPeriod } from "../src/subscriptions/billing";
import { advanceClock } from "../src/subscriptions/clock";
import { boundary, namedIntervals } from "../src/subscriptions/intervals";
import { startWrites } from "../src/subscriptions/start";
import type { BenchEnv } from "./worker";

const WEEK = namedIntervals.week;
const CONCURRENCY = 16;

export const renewalRoutes = new Hono<{ Bindings: BenchEnv }>();

renewalRoutes.post("/bench/renewals", async (c) => {
  const n = Math.min(5000, Number(c.req.query("n") ?? 1000));
  const db = database(c.env.DB);
  const now = Date.now();
  const creatorId = newId("creator");
  const offerId = newId("offer");
  const key = generateApiKey();
  await db.batch([
    db
      .insert(creators)
      .values({ id: creatorId, name: "Renewal bench", defaultCurrency: "USD", createdAt: now }),
    db.insert(apiKeys).values({
      id: newId("apiKey"),
      creatorId,
      name: "bench",
      prefix: displayPrefix(key),
      hash: await hashApiKey(key),
      createdAt: now,
    }),
    db.insert(offers).values({
      id: offerId,
      creatorId,
      kind: "membership",
      title: "Weekly",
      defaultCurrency: "USD",
      billingInterval: "week",
      tierRank: 1,
      createdAt: now,
      updatedAt: now,
    }),
    db.insert(offerPrices).values({ offerId, currency: "USD", amount: 300 }),
  ]);
  const ctx = { db, now, actor: "bench" };
  for (let i = 0; i < n; i += 25) {
    const writes = [];
    for (let j = i; j < Math.min(n, i + 25); j++) {
      const memberId = newId("member");
      writes.push(
        db.insert(members).values({
          id: memberId,
          creatorId,
          email: `m${j}@bench.test`,
          status: "active",
          cohort: "utility",
          acquisitionSource: "api",
          joinedAt: now,
          updatedAt: now,
        }),
      );
      const end = boundary(now, WEEK, 1);
      writes.push(
        ...startWrites(
          ctx,
          {
            creatorId,
            memberId,
            offerId,
            amount: 300,
            currency: "USD",
            interval: WEEK,
            anchor: now,
            periodEnd: end,
            provider: "sandbox",
            paymentMethod: "4242424242424242",
          },
          paidPeriod(now, { periodStart: now, periodEnd: end }),
        ).writes,
      );
    }
    await db.batch(writes as [never, ...never[]]);
  }
  // The floor: n single-statement D1 round trips, CONCURRENCY at a time, as the engine runs.
  const floorStart = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < n)
        await c.env.DB.prepare("SELECT version FROM subscriptions WHERE creator_id = ? LIMIT 1")
          .bind(creatorId)
          .first();
    }),
  );
  const floorMs = Date.now() - floorStart;
  const timings: number[] = [];
  const provider = paymentProvider(readConfig(c.env), db, { now: () => Date.now(), emit: () => undefined });
  const started = Date.now();
  const { report } = await advanceClock(
    { db, now: Date.now(), provider, actor: "bench", timings },
    { creatorId, byMs: 7 * 24 * 3600_000 },
  );
  const ms = Date.now() - started;
  timings.sort((a, b) => a - b);
  const at = (q: number) => timings[Math.min(timings.length - 1, Math.floor(q * timings.length))] ?? null;
  return c.json({
    n,
    renewed: report.renewed,
    deferred: report.deferred,
    seconds: ms / 1000,
    renewals_per_s: (report.renewed * 1000) / ms,
    floor_round_trips_per_s: (n * 1000) / floorMs,
    success_to_entitlement_p50_ms: at(0.5),
    success_to_entitlement_p99_ms: at(0.99),
  });
});
