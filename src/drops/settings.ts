/**
 * A drop's gate settings (buyer proof, queue, window), as the hold and checkout routes read them on every
 * request: from a per-isolate copy at most SETTINGS_TTL_MS old, so a hot drop costs one D1 read per
 * isolate per TTL rather than one per request. The price of the copy: a creator's change to these
 * settings reaches every isolate within the TTL, not at once (docs/buyer-tokens.md says so).
 */
import { eq, inArray } from "drizzle-orm";
import type { Db } from "../db/client";
import { type buyerProofs, drops } from "../db/schema";
import { notFound } from "../errors";
import { DROP_ID } from "../inventory/gateway";
import { creatorStatusOf } from "../operator/standing";

export const SETTINGS_TTL_MS = 5000;

export interface DropSettings {
  id: string;
  creatorId: string;
  buyerProof: (typeof buyerProofs)[number];
  powDifficulty: number | null;
  queueEnabled: boolean;
  startsAt: number;
  endsAt: number | null;
  closed: boolean;
  /** The creator's standing, read in the same statement: a suspended creator's drops hold nothing. */
  creatorSuspended: boolean;
}

/** Drop ids are few per isolate; a reset when full bounds the memory anyway. */
const MAX_CACHED = 10_000;
let cache = new Map<string, { settings: DropSettings; readAt: number }>();

/**
 * The drop's settings as of at most SETTINGS_TTL_MS before `now`; 404 for a drop that does not exist.
 * Misses are not shared between concurrent requests: workerd lets no request await another's I/O, so
 * two requests that miss together both read (see lib/memo.ts).
 */
export async function dropSettings(db: Db, dropId: string, now: number): Promise<DropSettings> {
  const hit = cache.get(dropId);
  if (hit !== undefined && now - hit.readAt < SETTINGS_TTL_MS && now >= hit.readAt) return hit.settings;
  if (!DROP_ID.test(dropId)) throw notFound("drop", dropId);
  const [row] = await db.select(columns).from(drops).where(eq(drops.id, dropId)).limit(1);
  if (row === undefined) throw notFound("drop", dropId);
  return remember(row, now);
}

const columns = {
  id: drops.id,
  creatorId: drops.creatorId,
  buyerProof: drops.buyerProof,
  powDifficulty: drops.powDifficulty,
  queueEnabled: drops.queueEnabled,
  startsAt: drops.startsAt,
  endsAt: drops.endsAt,
  state: drops.state,
  creatorStatus: creatorStatusOf(drops.creatorId),
};

type SettingsRow = Awaited<ReturnType<typeof settingsRead>>[number];

function remember(row: SettingsRow, now: number): DropSettings {
  const { state, creatorStatus, ...rest } = row;
  const settings: DropSettings = {
    ...rest,
    closed: state === "closed",
    creatorSuspended: creatorStatus === "suspended",
  };
  if (cache.size >= MAX_CACHED) cache = new Map();
  cache.set(row.id, { settings, readAt: now });
  return settings;
}

/**
 * The same read for several drops, as a statement a caller puts in a batch it sends anyway (checkout's
 * idempotency claim), so the gate that follows costs no round trip of its own; then primeDropSettings.
 */
export const settingsRead = (db: Db, dropIds: string[]) =>
  db.select(columns).from(drops).where(inArray(drops.id, dropIds));

export function primeDropSettings(rows: SettingsRow[], now: number): void {
  for (const row of rows) remember(row, now);
}

/** After this isolate changed a drop's settings: its next request reads them fresh. */
export function forgetDropSettings(dropId: string): void {
  cache.delete(dropId);
}

/** After this isolate changed a creator's standing: its drops' next requests read it fresh. */
export function forgetCreatorDropSettings(creatorId: string): void {
  for (const [dropId, hit] of cache) if (hit.settings.creatorId === creatorId) cache.delete(dropId);
}

/** Whether holds are being taken now: started, not ended, not closed. */
export const isLive = (s: DropSettings, now: number): boolean =>
  !s.closed && s.startsAt <= now && (s.endsAt === null || now < s.endsAt);
