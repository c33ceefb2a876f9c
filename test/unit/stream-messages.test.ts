import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { StockMessage } from "../../src/contract/stream";
import type { DropTerms, Hold } from "../../src/inventory/ledger";
import {
  bump,
  changeOf,
  nextMessage,
  PUBLISH_EVERY_MS,
  type Published,
  publishDelay,
  replayAfter,
  type StreamVersion,
} from "../../src/stream/messages";
import { RELAYS_PER_DROP, shardOf } from "../../src/stream/shards";

const terms: DropTerms = {
  stock: 10,
  startsAt: 0,
  endsAt: null,
  perBuyerLimit: null,
  holdTtlMs: 60_000,
  closed: false,
};
const hold = (id: string, state: Hold["state"]): Hold => ({
  id,
  kind: "hold",
  buyer: "b",
  quantity: 1,
  createdAt: 0,
  expiresAt: 1,
  state,
  orderRef: null,
  extended: false,
  restocked: false,
  consumed: 0,
});
const stockAt = (held: number, sold: number, asOf = 1_000) => ({
  stock: 10,
  available: 10 - held - sold,
  held,
  sold,
  phase: "live" as const,
  seq: 0,
  holdsTotal: 0,
  releasesTotal: 0,
  asOf,
});

describe("changeOf: what moves the stream's version", () => {
  const before = { held: 2, sold: 1, terms };

  it("leaves the version alone when nothing a viewer sees changed (an extension, a replay, a refusal)", () => {
    const extended = { ...hold("h1", "held"), extended: true };
    expect(changeOf(before, { ...before }, { holds: [extended] }, 0)).toBeNull();
    expect(changeOf(before, { ...before }, { holds: [] }, 0)).toBeNull();
  });

  it("counts holds placed, holds ended (each once), and units sold", () => {
    const touched = { holds: [hold("h1", "expired"), hold("h2", "released"), hold("h1", "expired")] };
    expect(changeOf(before, { held: 1, sold: 3, terms }, touched, 3)).toEqual({
      holds: 3,
      releases: 2,
      sales: 2,
    });
  });

  it("moves on new terms (stock, window, close) with nothing placed", () => {
    expect(changeOf(before, { ...before, terms: { ...terms, closed: true } }, { holds: [] }, 0)).toEqual({
      holds: 0,
      releases: 0,
      sales: 0,
    });
  });

  it("does not count a restock as a negative sale", () => {
    expect(changeOf(before, { ...before, sold: 0 }, { holds: [] }, 0)).toEqual({
      holds: 0,
      releases: 0,
      sales: 0,
    });
  });
});

describe("nextMessage: deltas between published messages", () => {
  it("chains prev_seq and gives deltas that sum to the running totals over any run of versions", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ holds: fc.nat(5), releases: fc.nat(5), sales: fc.nat(5), publish: fc.boolean() }),
          {
            maxLength: 40,
          },
        ),
        (steps) => {
          let version: StreamVersion = { seq: 0, holdsTotal: 0, releasesTotal: 0, salesTotal: 0 };
          let last: Published = nextMessage("drp_x", version, stockAt(0, 0), null);
          const sent: StockMessage[] = [last.message];
          let placed = 0;
          let ended = 0;
          for (const step of steps) {
            version = bump(version, step);
            placed += step.holds;
            ended += step.releases;
            if (!step.publish) continue;
            last = nextMessage("drp_x", version, stockAt(0, 0), last);
            sent.push(last.message);
            expect(last.message).toMatchObject({
              seq: version.seq,
              holds_total: placed,
              releases_total: ended,
            });
          }
          expect(sent[0]?.prev_seq).toBeNull();
          for (let i = 1; i < sent.length; i++) expect(sent[i]?.prev_seq).toBe(sent[i - 1]?.seq);
          const lastSent = sent.at(-1) as StockMessage;
          expect(sent.reduce((n, m) => n + m.holds, 0)).toBe(lastSent.holds_total);
          expect(sent.reduce((n, m) => n + m.releases, 0)).toBe(lastSent.releases_total);
          expect(sent.reduce((n, m) => n + m.sales, 0)).toBe(last.salesTotal);
        },
      ),
    );
  });
});

describe("publishDelay: at most one publish per PUBLISH_EVERY_MS", () => {
  it("publishes at once after a quiet spell, and never sooner than the interval after the last", () => {
    expect(publishDelay(null, 5_000)).toBe(0);
    expect(publishDelay(5_000, 5_000 + PUBLISH_EVERY_MS + 1)).toBe(0);
    expect(publishDelay(5_000, 5_100)).toBe(PUBLISH_EVERY_MS - 100);
    fc.assert(
      fc.property(fc.nat(10_000), fc.nat(10_000), (last, gap) => {
        expect(last + gap + publishDelay(last, last + gap)).toBeGreaterThanOrEqual(last + PUBLISH_EVERY_MS);
      }),
    );
  });
});

const chain = (seqs: number[]): StockMessage[] =>
  seqs.map((seq, i) => ({ ...stockMessage(seq), prev_seq: i === 0 ? null : (seqs[i - 1] as number) }));
function stockMessage(seq: number): StockMessage {
  return {
    type: "update",
    drop_id: "drp_x",
    seq,
    prev_seq: null,
    stock: 1,
    available: 1,
    held: 0,
    sold: 0,
    phase: "live",
    holds: 0,
    releases: 0,
    sales: 0,
    holds_total: 0,
    releases_total: 0,
    as_of: "2026-01-01T00:00:00.000Z",
  };
}

describe("replayAfter: a resuming viewer gets exactly what it missed, or a snapshot", () => {
  const ring = chain([3, 5, 6, 9]);
  const later = (after: number) => ring.filter((m) => m.seq > after);

  it("replays every message after a seq the ring chains from, in order", () => {
    expect(replayAfter(later(3), 3, 9)?.map((m) => m.seq)).toEqual([5, 6, 9]);
    expect(replayAfter(later(6), 6, 9)?.map((m) => m.seq)).toEqual([9]);
  });

  it("replays nothing to a viewer who holds the newest", () => {
    expect(replayAfter(later(9), 9, 9)).toEqual([]);
  });

  it("answers null (a snapshot) for a seq the ring does not hold, a gap, or one from the future", () => {
    expect(replayAfter(later(4), 4, 9)).toBeNull();
    expect(replayAfter(later(1), 1, 9)).toBeNull();
    expect(replayAfter([], 10, 9)).toBeNull();
    expect(replayAfter([], 0, null)).toBeNull();
    const gapped = [...chain([3, 5]), { ...stockMessage(9), prev_seq: 7 }];
    expect(replayAfter(gapped.slice(1), 3, 9)).toBeNull();
  });
});

describe("shardOf: viewers spread over a drop's relays", () => {
  it("sends a viewer key to the same relay every time, and spreads many keys over all relays", () => {
    expect(shardOf("viewer-abc-123")).toBe(shardOf("viewer-abc-123"));
    const counts = new Array(RELAYS_PER_DROP).fill(0);
    for (let i = 0; i < 50_000; i++) counts[shardOf(`viewer-${i}-${(i * 2654435761) % 1e9}`)]++;
    const mean = 50_000 / RELAYS_PER_DROP;
    for (const n of counts) expect(Math.abs(n - mean) / mean).toBeLessThan(0.1);
  });
});
