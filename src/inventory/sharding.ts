/**
 * Sharded drops as pure code: which shard a key lives on, how ids name their shard, how many units a
 * grant moves, and the merge rules that keep the coordinator and its shards from ever overselling.
 * The objects (coordinator.ts, shard-link.ts) do the I/O; the model-based test drives these functions.
 *
 * Units move as monotonic totals. For each shard the coordinator keeps `granted` (every unit it ever
 * granted the shard) and `returned` (every unit the shard reported giving back); the shard keeps the
 * granted total it has learned and its own returned total. Both sides only ever raise a total (max
 * merge), and the side that gives writes first: the coordinator raises `granted` before telling the
 * shard, the shard raises `returned` (and lowers its stock) before telling the coordinator. So a lost
 * answer or a crash between the two writes leaves a unit counted by neither pool nor shard: the drop
 * under-sells for a moment and never oversells, and the next exchange (any call carrying the totals)
 * heals it. docs/sharding.md has the whole design.
 */

/** The coordinator's books for one shard. */
export interface ShardAccount {
  granted: number;
  returned: number;
}

/** A shard's own books: the granted total it learned (a max), and its own returned total. */
export interface ShardBooks {
  granted: number;
  returned: number;
}

/** A shard's suffix on the ids it makes: `hld_…-s3`. Unsharded ids have none. */
const SHARD_SUFFIX = /-s(\d{1,2})$/;

/** 32-bit FNV-1a: stable across isolates and releases, so a buyer's shard never moves. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The shard a buyer (or anything else keyed) lives on; 0 for an unsharded drop. */
export const shardOf = (key: string, shards: number): number => (shards <= 1 ? 0 : fnv1a(key) % shards);

/** The name of a shard's object. Shard objects are DropInventory instances under their own names. */
export const shardName = (dropId: string, shard: number): string => `${dropId}/s${shard}`;

/** The suffix a shard's ids carry, so that commit, release and the rest route without a lookup. */
export const idSuffix = (shard: number | null): string => (shard === null ? "" : `-s${shard}`);

/**
 * The shard an id names: its suffix, else (an allotment, named by the POS verb before the call) the
 * hash of the id itself. Null when the id names a shard the drop does not have: no object is called.
 */
export function shardOfId(id: string, shards: number): number | null {
  const match = SHARD_SUFFIX.exec(id);
  if (match === null) return shardOf(id, shards);
  const shard = Number(match[1]);
  return shards > 1 && shard < shards ? shard : null;
}

/** Units a shard holds for sale: what it was granted, less what it gave back. */
export const shardStock = (books: ShardBooks): number => books.granted - books.returned;

/** Units not granted to any shard (in the coordinator's view, which never counts a unit twice). */
export const poolOf = (stock: number, accounts: readonly ShardAccount[]): number =>
  stock - allocatedOf(accounts);

export const allocatedOf = (accounts: readonly ShardAccount[]): number =>
  accounts.reduce((n, a) => n + a.granted - a.returned, 0);

/** At creation, each shard gets half its even share at once; the rest stays in the pool for refills. */
export const initialGrant = (stock: number, shards: number): number => Math.floor(stock / (2 * shards));

/** A refill: what was asked for, and at least a batch of 10 % of the stock per shard. */
export const batchSize = (stock: number, shards: number, want: number): number =>
  Math.max(want, 1, Math.floor((stock * 0.1) / shards));

/** A shard asks for more in the background when its available falls to a tenth of what it was granted. */
export const lowWater = (granted: number): number => Math.max(1, Math.floor(granted / 10));

/** The coordinator learns a shard's returned total: max merge, so an old or repeated report is harmless. */
export const mergeReturned = (account: ShardAccount, returned: number): ShardAccount =>
  returned > account.returned ? { ...account, returned } : account;

/** The shard learns a granted total: max merge, so an old or repeated grant is harmless. */
export const learnGrant = (books: ShardBooks, granted: number): ShardBooks =>
  granted > books.granted ? { ...books, granted } : books;

/**
 * The coordinator grants up to `size` units from the pool to one shard: its granted total rises (the
 * coordinator's first write). Never more than the pool holds.
 */
export function grant(
  stock: number,
  accounts: readonly ShardAccount[],
  shard: number,
  size: number,
): { accounts: ShardAccount[]; granted: number } {
  const amount = Math.max(0, Math.min(size, poolOf(stock, accounts)));
  const next = accounts.map((a, i) => (i === shard ? { ...a, granted: a.granted + amount } : a));
  return { accounts: next, granted: amount };
}

/**
 * A shard gives back up to `want` of its `spare` units (available: neither held nor sold): its returned
 * total rises and its stock falls (the shard's first write). Held and sold units never leave.
 */
export function giveBack(
  books: ShardBooks,
  spare: number,
  want: number,
): { books: ShardBooks; given: number } {
  const given = Math.max(0, Math.min(want, spare));
  return { books: { ...books, returned: books.returned + given }, given };
}

/** The counters one shard last reported, and the drop-wide figures they add up to. */
export interface ShardCounters {
  held: number;
  sold: number;
  holdsTotal: number;
  releasesTotal: number;
}

export const noCounters: ShardCounters = { held: 0, sold: 0, holdsTotal: 0, releasesTotal: 0 };

/** The drop's figures: stock is the drop's total, available whatever is neither held nor sold anywhere. */
export function aggregate(
  stock: number,
  shards: readonly ShardCounters[],
): ShardCounters & { stock: number; available: number } {
  const sum = (f: (c: ShardCounters) => number) => shards.reduce((n, c) => n + f(c), 0);
  const held = sum((c) => c.held);
  const sold = sum((c) => c.sold);
  return {
    stock,
    held,
    sold,
    available: Math.max(0, stock - held - sold),
    holdsTotal: sum((c) => c.holdsTotal),
    releasesTotal: sum((c) => c.releasesTotal),
  };
}

/** What a shard's new report changed, for the coordinator's stream version; null when nothing. */
export function reportChange(
  before: ShardCounters,
  after: ShardCounters,
): { holds: number; releases: number; sales: number } | null {
  const change = {
    holds: Math.max(0, after.holdsTotal - before.holdsTotal),
    releases: Math.max(0, after.releasesTotal - before.releasesTotal),
    sales: Math.max(0, after.sold - before.sold),
  };
  const moved =
    change.holds > 0 || change.releases > 0 || after.held !== before.held || after.sold !== before.sold;
  return moved ? change : null;
}
