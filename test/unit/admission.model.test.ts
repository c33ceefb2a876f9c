import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  advance,
  join,
  newQueue,
  type QueueStock,
  queueViolations,
  rateBudget,
  readingOf,
  stateOf,
  type Ticket,
  use,
} from "../../src/admission/queue";
import { seededRandom } from "../../src/admission/random";

/**
 * The queue machine against the drop it guards, as a plain stock counter: viewers join (before and
 * after the start), time passes, admitted buyers hold (up to what their admission speaks for), and
 * holds lapse (units come back). After every step: admissions never speak for more than is available,
 * never outrun the rate, nobody is admitted while the queue stays sold out, positions keep the
 * shuffle's order with late arrivals behind in arrival order, and a sold-out queue reads sold_out on
 * every waiting ticket at once. fast-check prints the seed and the shrunk steps on failure.
 */
type Step =
  | { kind: "join"; buyer: number }
  | { kind: "wait"; ms: number }
  | { kind: "hold"; pick: number; units: number }
  | { kind: "lapse"; units: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("join" as const), buyer: fc.nat(60) }),
  fc.record({ kind: fc.constant("wait" as const), ms: fc.integer({ min: 1, max: 3000 }) }),
  fc.record({ kind: fc.constant("hold" as const), pick: fc.nat(), units: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant("lapse" as const), units: fc.integer({ min: 1, max: 3 }) }),
);

const START = 10_000;
const TTL = 2_000;

describe("the admission queue against a stock counter (model-based)", () => {
  it("keeps every admission promise across random joins, waits, holds and lapses", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 1, max: 20 }),
        fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }),
        fc.integer(),
        fc.array(step, { maxLength: 80 }),
        (stockUnits, rate, limit, seed, steps) => {
          const q = newQueue({ enabled: true, admitPerSecond: rate });
          const stock: QueueStock = {
            available: stockUnits,
            startsAt: START,
            perBuyerLimit: limit,
            selling: true,
          };
          let held = 0;
          let now = START - 5000;
          let n = 0;
          const random = seededRandom(seed);
          const touched: Ticket[] = [];
          const bring = () => advance(q, stock, now, { random, ttlMs: TTL }, touched);
          for (const s of steps) {
            const soldOutBefore = stateOf(q, stock, now) === "sold_out";
            const admittedBefore = q.admittedThrough;
            let unitsCameBack = false;
            if (s.kind === "join") {
              bring();
              join(q, { id: `t${n++}`, buyer: `b${s.buyer}`, now }, touched);
            } else if (s.kind === "wait") now += s.ms;
            else if (s.kind === "hold") {
              const live = [...q.live.values()];
              const t = live[s.pick % Math.max(1, live.length)];
              if (t) {
                const units = Math.min(s.units, t.units);
                stock.available -= units;
                held += units;
                use(q, t, touched);
              }
            } else if (held > 0) {
              const units = Math.min(s.units, held);
              held -= units;
              stock.available += units;
              unitsCameBack = true;
            }
            bring();

            expect(queueViolations(q)).toEqual([]);
            expect(q.spokenFor).toBeLessThanOrEqual(stock.available);
            expect(stock.available + held).toBe(stockUnits);
            expect(q.admittedThrough).toBeLessThanOrEqual(
              Math.max(admittedBefore, rateBudget(q, stock, now)),
            );
            // An admission lapsing frees what it spoke for, which may let the next in; nothing else can.
            const lapsed = touched.some((t) => t.state === "expired");
            if (soldOutBefore && !unitsCameBack && !lapsed) expect(q.admittedThrough).toBe(admittedBefore);
            touched.length = 0;

            const positions = q.order.map((t) => t.position);
            expect(positions).toEqual(positions.map((_, i) => i + 1));
            const late = q.order.filter((t) => t.joinedAt >= START);
            const early = q.order.filter((t) => t.joinedAt < START);
            expect(Math.max(0, ...early.map((t) => t.position ?? 0))).toBeLessThan(
              Math.min(Infinity, ...late.map((t) => t.position ?? Infinity)),
            );
            expect(late.map((t) => t.arrival)).toEqual([...late.map((t) => t.arrival)].sort((a, b) => a - b));

            if (stateOf(q, stock, now) === "sold_out") {
              for (const t of q.tickets.values())
                if (t.state === "waiting") expect(readingOf(q, t, stock, now).status).toBe("sold_out");
            }
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
