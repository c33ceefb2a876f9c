import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  aggregate,
  batchSize,
  fnv1a,
  giveBack,
  grant,
  idSuffix,
  initialGrant,
  learnGrant,
  mergeReturned,
  poolOf,
  shardOf,
  shardOfId,
} from "../../src/inventory/sharding";

describe("the sharding rules", () => {
  it("hashes with 32-bit FNV-1a, so a buyer's shard is the same in every isolate and release", () => {
    // The published FNV-1a test vectors.
    expect(fnv1a("")).toBe(0x811c9dc5);
    expect(fnv1a("a")).toBe(0xe40c292c);
    expect(fnv1a("foobar")).toBe(0xbf9cf968);
    expect(shardOf("anon:anyone", 1)).toBe(0);
  });

  it("spreads buyers over the shards within 15 % of an even share", () => {
    const counts = [0, 0, 0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 8000; i++) {
      const shard = shardOf(`anon:buyer-${i}`, 8);
      counts[shard] = (counts[shard] ?? 0) + 1;
    }
    for (const n of counts) expect(Math.abs(n - 1000)).toBeLessThan(150);
  });

  it("routes an id by its suffix, refuses a suffix naming a shard the drop lacks, hashes an unsuffixed id", () => {
    expect(shardOfId(`hld_abc${idSuffix(3)}`, 4)).toBe(3);
    expect(shardOfId("hld_abc-s4", 4)).toBeNull();
    expect(shardOfId("hld_abc-s0", 1)).toBeNull();
    expect(shardOfId("alt_0123", 4)).toBe(shardOf("alt_0123", 4));
  });

  it("never grants more than the pool, never gives back more than is spare, and merges only upwards", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 2, max: 64 }),
        fc.array(fc.tuple(fc.nat(63), fc.integer({ min: 0, max: 500 })), { maxLength: 30 }),
        (stock, shards, asks) => {
          let accounts = Array.from({ length: shards }, () => ({
            granted: initialGrant(stock, shards),
            returned: 0,
          }));
          expect(poolOf(stock, accounts)).toBeGreaterThanOrEqual(0);
          for (const [shard, want] of asks) {
            const out = grant(stock, accounts, shard % shards, batchSize(stock, shards, want));
            accounts = out.accounts;
            expect(poolOf(stock, accounts)).toBeGreaterThanOrEqual(0);
          }
          const books = { granted: 10, returned: 2 };
          expect(giveBack(books, 3, 5)).toEqual({ books: { granted: 10, returned: 5 }, given: 3 });
          expect(learnGrant(books, 4)).toBe(books);
          expect(mergeReturned({ granted: 10, returned: 5 }, 2)).toEqual({ granted: 10, returned: 5 });
        },
      ),
    );
  });

  it("adds the shards' counters into the drop's figures", () => {
    const shard = (held: number, sold: number) => ({ held, sold, holdsTotal: held + sold, releasesTotal: 1 });
    expect(aggregate(20, [shard(2, 3), shard(1, 0)])).toEqual({
      stock: 20,
      held: 3,
      sold: 3,
      available: 14,
      holdsTotal: 6,
      releasesTotal: 2,
    });
  });
});
