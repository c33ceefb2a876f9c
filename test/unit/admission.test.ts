import { describe, expect, it } from "vitest";
import {
  advance,
  join,
  newQueue,
  type QueueState,
  type QueueStock,
  type Random,
  readingOf,
  shuffle,
  stateOf,
  summaryOf,
  type Ticket,
  use,
} from "../../src/admission/queue";
import { seededRandom } from "../../src/admission/random";
import { derivedAdmitRate } from "../../src/admission/settings";

const START = 1_000_000;
const TTL = 120_000;

function harness(o: { rate?: number; available?: number; limit?: number | null; seed?: number } = {}) {
  const q = newQueue({ enabled: true, admitPerSecond: o.rate ?? 10 });
  const stock: QueueStock = {
    available: o.available ?? 100,
    startsAt: START,
    perBuyerLimit: o.limit ?? null,
    selling: true,
  };
  const random = seededRandom(o.seed ?? 1);
  let n = 0;
  const touched: Ticket[] = [];
  return {
    q,
    stock,
    at: (now: number) => advance(q, stock, now, { random, ttlMs: TTL }, touched),
    join: (buyer: string, now: number) => {
      advance(q, stock, now, { random, ttlMs: TTL }, touched);
      return join(q, { id: `qtk_${n++}`, buyer, now }, touched).ticket;
    },
    /** The admitted buyer holds `units`: they leave available and the admission is used. */
    hold: (t: Ticket, units = t.units) => {
      stock.available -= units;
      use(q, t, touched);
    },
  };
}

/** Admitted tickets in position order. */
const admitted = (q: QueueState) => q.order.filter((t) => t.state === "admitted");

describe("the admission queue before the start", () => {
  it("gives early arrivals tickets with no position and reads gathering", () => {
    const h = harness();
    const t = h.join("a", START - 5000);
    expect(t).toMatchObject({ state: "waiting", position: null });
    expect(readingOf(h.q, t, h.stock, START - 5000)).toEqual({
      status: "waiting",
      position: null,
      ahead: null,
      estimatedWaitSeconds: null,
    });
    expect(summaryOf(h.q, h.stock, START - 1)).toEqual({
      state: "gathering",
      waiting: 1,
      admitted_through: 0,
      admit_per_second: 10,
    });
  });

  it("gives one ticket per buyer: joining again answers the same ticket", () => {
    const h = harness();
    const first = h.join("a", START - 10);
    expect(h.join("a", START - 5)).toBe(first);
    expect(h.q.waiting).toBe(1);
  });
});

describe("the shuffle at the start", () => {
  it("orders early arrivals by the injected random's Fisher–Yates, and late ones behind in arrival order", () => {
    const h = harness({ seed: 42, available: 0 });
    const early = Array.from({ length: 20 }, (_, i) => h.join(`early-${i}`, START - 1000 + i));
    const late = Array.from({ length: 5 }, (_, i) => h.join(`late-${i}`, START + i));
    const expected = shuffle([...early], seededRandom(42));
    expect(expected.map((t) => t.buyer)).not.toEqual(early.map((t) => t.buyer));
    expect(h.q.order.slice(0, 20).map((t) => t.buyer)).toEqual(expected.map((t) => t.buyer));
    expect(late.map((t) => t.position)).toEqual([21, 22, 23, 24, 25]);
  });

  it("is uniform: 3 items shuffled 60,000 times land on each of 6 orders evenly (chi-square, df 5)", () => {
    const chiSquare = (random: Random) => {
      const counts = new Map<string, number>();
      for (let i = 0; i < 60_000; i++) {
        const key = shuffle(["a", "b", "c"], random).join("");
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return [...counts.values()].reduce((sum, c) => sum + (c - 10_000) ** 2 / 10_000, 0);
    };
    // 20.5 is chi-square's 99.9th percentile at 5 degrees of freedom.
    expect(chiSquare(seededRandom(7))).toBeLessThan(20.5);
    // The classic mistake (swap with any index, not one at or below i) is caught by the same test.
    const naive = (items: string[], random: Random) => {
      for (let i = items.length - 1; i > 0; i--) {
        const j = random(items.length);
        [items[i], items[j]] = [items[j] as string, items[i] as string];
      }
      return items;
    };
    const counts = new Map<string, number>();
    const random = seededRandom(7);
    for (let i = 0; i < 60_000; i++) {
      const key = naive(["a", "b", "c"], random).join("");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const naiveChi = [...counts.values()].reduce((sum, c) => sum + (c - 10_000) ** 2 / 10_000, 0);
    expect(naiveChi).toBeGreaterThan(20.5);
  });
});

describe("admission by rate and stock", () => {
  it("admits rate × seconds since the start, in position order", () => {
    const h = harness({ rate: 10 });
    for (let i = 0; i < 50; i++) h.join(`b${i}`, START - 100);
    h.at(START + 1500);
    expect(h.q.admittedThrough).toBe(15);
    expect(admitted(h.q).map((t) => t.position)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    h.at(START + 1500); // lazily again at the same instant: nothing more
    expect(h.q.admittedThrough).toBe(15);
  });

  it("stops the moment stock is spoken for, says paused, then sold out to every waiting ticket at once", () => {
    const h = harness({ rate: 1000, available: 5 });
    const tickets = Array.from({ length: 20 }, (_, i) => h.join(`b${i}`, START - 100));
    h.at(START + 10_000);
    expect(h.q.admittedThrough).toBe(5);
    expect(stateOf(h.q, h.stock, START + 10_000)).toBe("paused");
    for (const t of admitted(h.q)) h.hold(t);
    h.at(START + 11_000);
    expect(h.q.admittedThrough).toBe(5);
    expect(stateOf(h.q, h.stock, START + 11_000)).toBe("sold_out");
    const waiting = tickets.filter((t) => t.state === "waiting");
    expect(waiting).toHaveLength(15);
    expect(new Set(waiting.map((t) => readingOf(h.q, t, h.stock, START + 11_000).status))).toEqual(
      new Set(["sold_out"]),
    );
    // Two units come back (holds expired): admission resumes, in order.
    h.stock.available = 2;
    h.at(START + 12_000);
    expect(admitted(h.q).map((t) => t.position)).toEqual([6, 7]);
  });

  it("lets an unused admission lapse after its TTL and admits the next in its place", () => {
    const h = harness({ rate: 1000, available: 1 });
    const [a, b] = [h.join("a", START - 1), h.join("b", START - 1)];
    h.at(START + 1000);
    const first = a?.state === "admitted" ? a : b;
    const second = first === a ? b : a;
    expect(first?.state).toBe("admitted");
    h.at(START + 1000 + TTL);
    expect(first?.state).toBe("expired");
    expect(second?.state).toBe("admitted");
  });

  it("speaks for the per-buyer limit, and for what is left when that is less", () => {
    const h = harness({ rate: 1000, available: 7, limit: 3 });
    for (let i = 0; i < 5; i++) h.join(`b${i}`, START - 1);
    h.at(START + 1000);
    expect(admitted(h.q).map((t) => t.units)).toEqual([3, 3, 1]);
    expect(h.q.spokenFor).toBe(7);
  });

  it("lets a buyer whose admission lapsed join again, at the back", () => {
    const h = harness({ rate: 1000, available: 1 });
    h.join("a", START - 1);
    h.join("b", START - 1);
    h.at(START + 1000);
    const first = h.q.order[0] as Ticket;
    expect(first.state).toBe("admitted");
    expect(h.join(first.buyer, START + 1000)).toBe(first); // still admitted: the same ticket
    h.at(START + 1000 + TTL);
    expect(first.state).toBe("expired");
    const again = h.join(first.buyer, START + 1000 + TTL);
    expect(again).not.toBe(first);
    expect(again).toMatchObject({ state: "waiting", position: 3 });
  });

  it("estimates the wait from the rate and the distance to the head", () => {
    const h = harness({ rate: 10, available: 1000 });
    for (let i = 0; i < 100; i++) h.join(`b${i}`, START - 1);
    h.at(START + 2000);
    const t = h.q.order[49] as Ticket;
    expect(readingOf(h.q, t, h.stock, START + 2000)).toEqual({
      status: "waiting",
      position: 50,
      ahead: 29,
      estimatedWaitSeconds: 3,
    });
  });

  it("derives the rate from the shard count when the creator names none", () => {
    expect(derivedAdmitRate(1)).toBe(150);
    expect(derivedAdmitRate(4)).toBe(600);
  });
});
