/**
 * Exposure counters: quotes, holds and hold expiries counted without a D1 write on the hot path. A request
 * hands its counts to an `ExposureCounter` object (counter-object.ts) by RPC inside `waitUntil`, never
 * awaited; the object sums them and flushes them to `exposure_counts` (one row per UTC day and group)
 * every FLUSH_INTERVAL_MS. This file is the worker's side and the flush's SQL; the object is the rest.
 *
 * Sharding: each creator has COUNTER_SHARDS objects (`<creator id>:<n>`) and each call picks one at
 * random, so a hot drop's quotes spread over several objects instead of queueing on one (a Durable Object
 * serves on the order of a thousand calls a second). Their rows meet in D1, where counts add up.
 */

import { inArray } from "drizzle-orm";
import type { Context } from "hono";
import { type Db, inChunks } from "../db/client";
import { drops } from "../db/schema";
import type { exposureKinds } from "../db/tables/metrics";
import type { AppEnv } from "../http/context";
import type { QuoteClaims } from "../quotes/token";
import type { ExposureCounter } from "./counter-object";
import { dayOf } from "./range";

export type ExposureKind = (typeof exposureKinds)[number];

/** One count for one group of `exposure_counts`; '' where a group key does not apply. */
export interface Exposure {
  creatorId: string;
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  kind: ExposureKind;
  offerId: string;
  dropId: string;
  source: string;
  experimentId: string;
  experimentArm: string;
  count: number;
}

export const COUNTER_SHARDS = 4;
/** How long counts wait in an object before they are flushed to D1. */
export const FLUSH_INTERVAL_MS = 10_000;
/**
 * Under ENVIRONMENT=test the alarm waits an hour instead, so a flush never lands in the middle of another
 * test's before-and-after table counts; tests flush on demand (`flush()`, or by running the alarm).
 */
export const TEST_FLUSH_INTERVAL_MS = 3_600_000;
/** Groups flushed per D1 batch; a larger backlog flushes in several batches, one right after another. */
export const FLUSH_MAX_GROUPS = 200;

export const shardName = (creatorId: string, shard: number): string => `${creatorId}:${shard}`;

export const exposure = (
  e: Pick<Exposure, "creatorId" | "kind"> & Partial<Omit<Exposure, "creatorId" | "kind">> & { at: number },
): Exposure => ({
  creatorId: e.creatorId,
  day: e.day ?? dayOf(e.at),
  kind: e.kind,
  offerId: e.offerId ?? "",
  dropId: e.dropId ?? "",
  source: e.source ?? "",
  experimentId: e.experimentId ?? "",
  experimentArm: e.experimentArm ?? "",
  count: e.count ?? 1,
});

/** The group an exposure counts in, as one string (the object's storage key). */
export const groupKey = (e: Exposure): string =>
  JSON.stringify([
    e.creatorId,
    e.day,
    e.kind,
    e.offerId,
    e.dropId,
    e.source,
    e.experimentId,
    e.experimentArm,
  ]);

/** Counts are handed over and forgotten: the caller never waits, and a lost count never fails a request. */
export type ExposureSink = (events: Exposure[]) => void;

type Namespace = DurableObjectNamespace<ExposureCounter>;

let objectIds = new Map<string, DurableObjectId>();
const MAX_CACHED_IDS = 10_000;

function objectId(namespace: Namespace, name: string): DurableObjectId {
  let id = objectIds.get(name);
  if (id === undefined) {
    if (objectIds.size >= MAX_CACHED_IDS) objectIds = new Map();
    id = namespace.idFromName(name);
    objectIds.set(name, id);
  }
  return id;
}

/**
 * Counts wait this long in the isolate, so a burst of requests sends one RPC per creator (and one D1 read
 * for the drops of its direct holds) instead of one per request. Only data is shared between requests:
 * the request that finds no send pending schedules one in its own `waitUntil`, and later requests' counts
 * ride along with it until it takes the queue.
 */
export const COALESCE_MS = 5;
/** Drops never change creator or offer: learned once per isolate (a reset when full bounds the memory). */
let dropOwners = new Map<string, { creatorId: string; offerId: string }>();
const queue: { events: Exposure[]; holds: { dropId: string; at: number }[]; db: Db | null } = {
  events: [],
  holds: [],
  db: null,
};
let sendPending = false;

function enqueue(
  namespace: Namespace,
  waitUntil: (work: Promise<unknown>) => void,
  shard: () => number,
  add: (q: typeof queue) => void,
) {
  add(queue);
  if (sendPending) return;
  sendPending = true;
  const send = async () => {
    await new Promise((resolve) => setTimeout(resolve, COALESCE_MS));
    sendPending = false;
    const { db } = queue;
    const events = queue.events.splice(0);
    const holds = queue.holds.splice(0);
    if (db !== null) events.push(...(await directHoldsOf(db, holds)));
    const byCreator = new Map<string, Map<string, Exposure>>();
    for (const e of events) {
      const groups = byCreator.get(e.creatorId) ?? new Map<string, Exposure>();
      const key = groupKey(e);
      const seen = groups.get(key);
      groups.set(key, seen === undefined ? { ...e } : { ...seen, count: seen.count + e.count });
      byCreator.set(e.creatorId, groups);
    }
    await Promise.all(
      [...byCreator].map(([creatorId, groups]) => {
        const name = shardName(creatorId, shard());
        return namespace.get(objectId(namespace, name)).add(name, [...groups.values()]);
      }),
    );
  };
  waitUntil(send().catch((error) => console.error(JSON.stringify({ exposures: String(error) }))));
}

/** A sink that sends each creator's counts to one of its shards, inside `waitUntil`. */
export function exposureSink(
  namespace: Namespace | undefined,
  waitUntil: (work: Promise<unknown>) => void,
  shard: () => number = () => Math.floor(Math.random() * COUNTER_SHARDS),
): ExposureSink {
  return (events) => {
    if (namespace === undefined || events.length === 0) return;
    enqueue(namespace, waitUntil, shard, (q) => q.events.push(...events));
  };
}

const waitUntilOf = (c: Context<AppEnv>): ((work: Promise<unknown>) => void) => {
  try {
    const ctx = c.executionCtx;
    return (work) => ctx.waitUntil(work);
  } catch {
    return (work) => void work;
  }
};

/** The request's sink: its `waitUntil`, or plain fire-and-forget where a caller has no execution context. */
export const requestExposures = (c: Context<AppEnv>): ExposureSink =>
  exposureSink(c.env.EXPOSURE_COUNTER, waitUntilOf(c));

/**
 * A hold placed directly (POST /v1/drops/{id}/holds) names only its drop: the drop's creator and offer
 * are looked up when the counts are sent, one D1 read for every drop in the batch not yet known.
 */
export function countDirectHold(c: Context<AppEnv>, dropId: string, at: number): void {
  const namespace = c.env.EXPOSURE_COUNTER;
  if (namespace === undefined) return;
  const db = c.get("db");
  enqueue(
    namespace,
    waitUntilOf(c),
    () => Math.floor(Math.random() * COUNTER_SHARDS),
    (q) => {
      q.holds.push({ dropId, at });
      q.db = db;
    },
  );
}

async function directHoldsOf(db: Db, holds: { dropId: string; at: number }[]): Promise<Exposure[]> {
  const unknown = [...new Set(holds.map((h) => h.dropId).filter((id) => !dropOwners.has(id)))];
  if (unknown.length > 0) {
    if (dropOwners.size + unknown.length > MAX_CACHED_IDS) dropOwners = new Map();
    for (const ids of inChunks(unknown)) {
      const rows = await db
        .select({ id: drops.id, creatorId: drops.creatorId, offerId: drops.offerId })
        .from(drops)
        .where(inArray(drops.id, ids));
      for (const r of rows) dropOwners.set(r.id, { creatorId: r.creatorId, offerId: r.offerId });
    }
  }
  return holds.flatMap(({ dropId, at }) => {
    const owner = dropOwners.get(dropId);
    return owner === undefined ? [] : [exposure({ ...owner, at, kind: "hold", dropId })];
  });
}

/**
 * A quote counts once, under its first drop (a bundle's checkout row names the same one) and its
 * experiment arm. Its source is known only for an API-key caller (`api`); a browser's quote says none.
 */
export const quoteExposures = (claims: QuoteClaims, source: string): Exposure[] => [
  exposure({
    creatorId: claims.creatorId,
    at: claims.issuedAt,
    kind: "quote",
    offerId: claims.offerId,
    dropId: claims.drops[0]?.dropId ?? claims.dropId ?? "",
    source,
    experimentId: claims.arm?.experimentId ?? "",
    experimentArm: claims.arm?.key ?? "",
  }),
];

/** A checkout's holds count once per checkout that holds anything, with the checkout's source. */
export const checkoutHoldExposures = (claims: QuoteClaims, source: string, at: number): Exposure[] =>
  claims.drops.length === 0
    ? []
    : [
        exposure({
          creatorId: claims.creatorId,
          at,
          kind: "hold",
          offerId: claims.offerId,
          dropId: claims.drops[0]?.dropId ?? "",
          source,
          experimentId: claims.arm?.experimentId ?? "",
          experimentArm: claims.arm?.key ?? "",
        }),
      ];

/** A checkout the sweep expired because its hold lapsed unpaid. */
export const holdExpiredExposures = (
  checkout: { creatorId: string; dropId: string | null },
  order: { offerId: string; source: string; experimentId: string | null; experimentArm: string | null },
  at: number,
): Exposure[] => [
  exposure({
    creatorId: checkout.creatorId,
    at,
    kind: "hold_expired",
    offerId: order.offerId,
    dropId: checkout.dropId ?? "",
    source: order.source,
    experimentId: order.experimentId ?? "",
    experimentArm: order.experimentArm ?? "",
  }),
];

const COLUMNS = "creator_id, day, kind, offer_id, drop_id, source, experiment_id, experiment_arm";
/** The flush marker: a zero count under day 'flush' (after every date, so no range ever reads it). */
const MARKER = `creator_id = ?1 AND day = 'flush' AND kind = 'quote' AND offer_id = ?2 AND drop_id = ?3
  AND source = '' AND experiment_id = '' AND experiment_arm = ''`;

/**
 * One flush as one D1 batch, applied at most once per `flushId`: every count is added only while the
 * flush's marker row is absent, and the batch ends by writing the marker (and deleting the shard's older
 * one). Sending the same flush again, after a crash that lost D1's answer, adds nothing. All groups belong
 * to `creatorId` (the object's creator).
 */
export function flushStatements(
  d1: D1Database,
  flush: { creatorId: string; shard: string; flushId: string },
  groups: Exposure[],
): D1PreparedStatement[] {
  const marker = [flush.creatorId, flush.shard, flush.flushId];
  const adds = groups.map((g) =>
    d1
      .prepare(
        `INSERT INTO exposure_counts (${COLUMNS}, count)
         SELECT ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12
         WHERE NOT EXISTS (SELECT 1 FROM exposure_counts WHERE ${MARKER})
         ON CONFLICT (${COLUMNS}) DO UPDATE SET count = exposure_counts.count + excluded.count`,
      )
      .bind(
        ...marker,
        g.creatorId,
        g.day,
        g.kind,
        g.offerId,
        g.dropId,
        g.source,
        g.experimentId,
        g.experimentArm,
        g.count,
      ),
  );
  return [
    ...adds,
    d1
      .prepare(
        `INSERT INTO exposure_counts (${COLUMNS}, count) VALUES (?1, 'flush', 'quote', ?2, ?3, '', '', '', 0)
         ON CONFLICT DO NOTHING`,
      )
      .bind(...marker),
    d1
      .prepare(
        `DELETE FROM exposure_counts WHERE creator_id = ?1 AND day = 'flush' AND kind = 'quote'
         AND offer_id = ?2 AND drop_id <> ?3`,
      )
      .bind(...marker),
  ];
}
