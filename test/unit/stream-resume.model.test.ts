/**
 * The stream's promise to a viewer, model-based: whatever the drop publishes and whenever the viewer's
 * socket drops, a viewer that resumes with the last `seq` it holds either receives exactly the messages
 * it missed, in order, or (when the relay no longer keeps them) one snapshot of the newest state; it
 * never applies an older `seq`, never applies one twice, and always ends on the drop's newest state.
 *
 * The relay is modelled as relay.ts keeps it (a ring of the newest RING_SIZE messages, older or
 * repeated ones ignored) around the real `replayAfter` and `asSnapshot`.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { StockMessage } from "../../src/contract/stream";
import { asSnapshot, RING_SIZE, replayAfter } from "../../src/stream/messages";

const message = (seq: number, prev: number | null): StockMessage => ({
  type: "update",
  drop_id: "drp_model",
  seq,
  prev_seq: prev,
  stock: 100,
  available: 100,
  held: 0,
  sold: 0,
  phase: "live",
  holds: 0,
  releases: 0,
  sales: 0,
  holds_total: 0,
  releases_total: 0,
  as_of: "2026-12-01T00:00:00.000Z",
});

class RelayModel {
  ring: StockMessage[] = [];
  keep(m: StockMessage): boolean {
    const newest = this.ring.at(-1);
    if (newest !== undefined && m.seq <= newest.seq) return false;
    this.ring.push(m);
    if (this.ring.length > RING_SIZE) this.ring.splice(0, this.ring.length - RING_SIZE);
    return true;
  }
  /** What relay.ts sends a viewer on connect: the replay after `after`, or a snapshot of the newest. */
  opening(after: number | null): StockMessage[] {
    const newest = this.ring.at(-1);
    if (newest === undefined) return [];
    if (after !== null) {
      const replay = replayAfter(
        this.ring.filter((m) => m.seq > after),
        after,
        newest.seq,
      );
      if (replay !== null) return replay;
    }
    return [asSnapshot(newest)];
  }
}

/** A viewer as the overlay applies messages: never an older or repeated seq. */
class Viewer {
  applied: number[] = [];
  snapshots = 0;
  get last(): number | null {
    return this.applied.at(-1) ?? null;
  }
  apply(m: StockMessage): void {
    if (this.last !== null && m.seq <= this.last) return;
    if (m.type === "snapshot") this.snapshots++;
    this.applied.push(m.seq);
  }
}

type Step =
  | { kind: "publish"; skip: number } // the drop publishes; versions may have been coalesced away
  | { kind: "drop" } // the viewer's socket closes
  | { kind: "resume" } // the viewer reconnects with ?after=<its last seq>
  | { kind: "duplicate" }; // the drop's last message reaches the relay again (a retried RPC)

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("publish" as const), skip: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "drop" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "resume" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "duplicate" as const }) },
);

describe("resuming the stock stream (model-based)", () => {
  it("a resuming viewer gets exactly what it missed, or one snapshot, and ends on the newest state", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 400 }), fc.boolean(), (steps, longGap) => {
        const relay = new RelayModel();
        const viewer = new Viewer();
        const published: StockMessage[] = [];
        let seq = 0;
        let connected = true;
        let missed: number[] = [];
        const publish = (skip: number) => {
          const prev = published.at(-1)?.seq ?? null;
          seq += 1 + skip;
          const m = message(seq, prev);
          published.push(m);
          if (relay.keep(m) && connected) viewer.apply(m);
          if (!connected) missed.push(m.seq);
        };
        publish(0);
        // A long gap: the viewer is away for more messages than a relay keeps.
        const away: Step[] = longGap
          ? [
              { kind: "drop" },
              ...Array.from({ length: RING_SIZE + 20 }, (): Step => ({ kind: "publish", skip: 0 })),
            ]
          : [];
        for (const s of [...away, ...steps]) {
          if (s.kind === "publish") publish(s.skip);
          else if (s.kind === "duplicate") {
            const last = published.at(-1);
            if (last && relay.keep(last) && connected) viewer.apply(last);
          } else if (s.kind === "drop") connected = false;
          else if (!connected) {
            const before = viewer.applied.length;
            const opening = relay.opening(viewer.last);
            for (const m of opening) viewer.apply(m);
            const received = viewer.applied.slice(before);
            if (missed.length > RING_SIZE) {
              // What was missed is no longer kept: one snapshot of the newest state.
              expect(opening.map((m) => m.type)).toEqual(["snapshot"]);
              expect(received).toEqual([published.at(-1)?.seq]);
            } else {
              // Exactly the missed messages, in order: no gap, no repeat.
              expect(opening.every((m) => m.type === "update")).toBe(true);
              expect(received).toEqual(missed);
            }
            missed = [];
            connected = true;
          }
          // After every step: strictly rising, nothing applied twice, nothing newer than published.
          for (let i = 1; i < viewer.applied.length; i++)
            expect(viewer.applied[i]).toBeGreaterThan(viewer.applied[i - 1] as number);
          expect(viewer.last).toBeLessThanOrEqual(seq);
          if (connected) expect(viewer.last).toBe(published.at(-1)?.seq);
        }
        // A connected viewer that never needed a snapshot applied the drop's whole chain.
        if (connected && viewer.snapshots === 0) expect(viewer.applied).toEqual(published.map((m) => m.seq));
        if (longGap && viewer.applied.length > 1) expect(viewer.snapshots).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });
});
