/**
 * The stock stream as pure code: what counts as a change to a drop, how the drop's object turns its
 * state into the next stream message, when it may publish, and what a relay replays to a viewer who
 * resumes. The drop's object (inventory/drop-inventory.ts) and the relay (relay.ts) call these; the unit
 * tests drive the same functions.
 */
import type { StockMessage } from "../contract/stream";
import type { StockSnapshot } from "../inventory/contract";
import type { DropTerms, Hold, Touched } from "../inventory/ledger";

/** The drop publishes at most once per this many ms, and only when its state changed. */
export const PUBLISH_EVERY_MS = 250;
/** Messages a relay keeps for resuming viewers: at 4 a second, a minute and more of a busy drop. */
export const RING_SIZE = 256;

/** The drop's state version and running totals, persisted with every change (store.ts). */
export interface StreamVersion {
  seq: number;
  holdsTotal: number;
  releasesTotal: number;
  salesTotal: number;
}

/** What one storage transaction did to the figures a viewer sees. */
export interface VersionChange {
  holds: number;
  releases: number;
  sales: number;
}

/** The counters and terms before an operation: what `changeOf` compares the ledger against after it. */
export interface Before {
  held: number;
  sold: number;
  terms: DropTerms;
}

/**
 * What an operation changed that a viewer can see, or null when nothing (an extension, a replayed
 * reserve, a refusal): only then is the version left alone. `placed` is the holds and allotments it
 * inserted; a hold it ended is a release; units sold are the rise in `sold` (a restock lowers it).
 */
export function changeOf(
  before: Before,
  after: Before,
  touched: Touched,
  placed: number,
): VersionChange | null {
  const ended = new Map<string, Hold>(touched.holds.map((h) => [h.id, h]));
  let releases = 0;
  for (const hold of ended.values()) if (hold.state === "released" || hold.state === "expired") releases++;
  const changed =
    placed > 0 ||
    releases > 0 ||
    after.held !== before.held ||
    after.sold !== before.sold ||
    after.terms !== before.terms;
  return changed ? { holds: placed, releases, sales: Math.max(0, after.sold - before.sold) } : null;
}

export const bump = (v: StreamVersion, c: VersionChange): StreamVersion => ({
  seq: v.seq + 1,
  holdsTotal: v.holdsTotal + c.holds,
  releasesTotal: v.releasesTotal + c.releases,
  salesTotal: v.salesTotal + c.sales,
});

/** The last message the drop published, with the sales total it counted from (messages carry no such total). */
export interface Published {
  message: StockMessage;
  salesTotal: number;
}

/** The drop's next message: its state at `version`, with deltas since the message before it. */
export function nextMessage(
  dropId: string,
  version: StreamVersion,
  stock: StockSnapshot,
  last: Published | null,
): Published {
  const prev = last?.message;
  return {
    salesTotal: version.salesTotal,
    message: {
      type: "update",
      drop_id: dropId,
      seq: version.seq,
      prev_seq: prev?.seq ?? null,
      stock: stock.stock,
      available: stock.available,
      held: stock.held,
      sold: stock.sold,
      phase: stock.phase,
      holds: version.holdsTotal - (prev?.holds_total ?? 0),
      releases: version.releasesTotal - (prev?.releases_total ?? 0),
      sales: version.salesTotal - (last?.salesTotal ?? 0),
      holds_total: version.holdsTotal,
      releases_total: version.releasesTotal,
      as_of: new Date(stock.asOf).toISOString(),
      ...(stock.queue ? { queue: stock.queue } : {}),
    },
  };
}

/** How long to wait before publishing a change seen at `now`: at once, unless the last publish was recent. */
export const publishDelay = (lastPublishedAt: number | null, now: number): number =>
  lastPublishedAt === null ? 0 : Math.max(0, lastPublishedAt + PUBLISH_EVERY_MS - now);

/**
 * What a viewer who holds `after` must be sent: every message after it, in order, when the relay's
 * ring chains from `after` to its newest without a gap (none when `after` is the newest); null when it
 * does not (too old, or from a relay that missed one), and the viewer gets a fresh snapshot instead.
 * `later` is the ring's messages with `seq` above `after`, ascending; `newest` the ring's newest `seq`.
 */
export function replayAfter(
  later: readonly StockMessage[],
  after: number,
  newest: number | null,
): StockMessage[] | null {
  if (newest === null || after > newest) return null;
  let prev = after;
  for (const message of later) {
    if (message.prev_seq !== prev) return null;
    prev = message.seq;
  }
  return prev === newest ? [...later] : null;
}

export const asSnapshot = (message: StockMessage): StockMessage => ({ ...message, type: "snapshot" });
