import { describe, expect, it } from "vitest";
import type { StockMessage } from "../../src/contract/stream";
import { type FeedHost, StockFeed } from "../../src/stream/feed";
import { PUBLISH_EVERY_MS } from "../../src/stream/messages";
import type { RelayRow } from "../../src/stream/store";

/**
 * The drop's feed on a manual clock: timers run when the test advances time, sends answer when the
 * test says. The drop's state is a version counter that each change bumps, as the object's transaction
 * does; `latest` mints a message only when it moved, as the object's does.
 */
function world(viewersOf: (relay: string) => number = () => 1) {
  let now = 1_000_000;
  let timers: { at: number; run: () => void }[] = [];
  let seq = 0;
  let minted: StockMessage | null = null;
  const rows = new Map<string, RelayRow>();
  const sent: { relay: string; seq: number }[] = [];
  const pending: (() => void)[] = [];
  const host: FeedHost = {
    registry: () => ({
      relays: () => [...rows.values()],
      saveRelay: (r) => rows.set(r.name, r),
      forgetRelay: (name, gen) => {
        if (rows.get(name)?.gen === gen) rows.delete(name);
      },
    }),
    latest: (dropId, mint) => {
      if (minted === null || (mint && minted.seq !== seq))
        minted = { seq, prev_seq: minted?.seq ?? null, drop_id: dropId } as StockMessage;
      return minted;
    },
    send: (relay, message) => {
      sent.push({ relay, seq: message.seq });
      return new Promise((resolve) => pending.push(() => resolve({ viewers: viewersOf(relay) })));
    },
    now: () => now,
    later: (run, ms) => timers.push({ at: now + ms, run }),
  };
  const feed = new StockFeed(host);
  const flush = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return {
    feed,
    rows,
    sent,
    change: () => {
      seq++;
      feed.changed();
    },
    /** Answers every send in flight. */
    answer: async () => {
      for (const done of pending.splice(0)) done();
      await flush();
    },
    /** Moves the clock on, running the timers that fall due. */
    advance: async (ms: number) => {
      const until = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
        if (due === undefined) break;
        timers = timers.filter((t) => t !== due);
        now = due.at;
        due.run();
        await flush();
      }
      now = until;
    },
  };
}

describe("StockFeed: coalesced publishing from the drop", () => {
  it("publishes a burst of 100 changes within one interval as at most two messages, the last one current", async () => {
    const w = world();
    w.feed.subscribe("drp_a:0", "drp_a");
    for (let i = 0; i < 100; i++) {
      w.change();
      await w.advance(1);
      await w.answer();
    }
    await w.advance(PUBLISH_EVERY_MS);
    await w.answer();
    // 100 ms of changes: the first publishes at once, the rest wait for the interval and go as one.
    expect(w.sent.map((s) => s.seq)).toEqual([1, 100]);
  });

  it("never publishes twice within PUBLISH_EVERY_MS, and sends nothing when nothing changed", async () => {
    const w = world();
    w.feed.subscribe("drp_a:0", "drp_a");
    const times: number[] = [];
    let clock = 0;
    for (let i = 0; i < 40; i++) {
      w.change();
      const before = w.sent.length;
      await w.advance(37);
      clock += 37;
      await w.answer();
      if (w.sent.length > before) times.push(clock);
    }
    for (let i = 1; i < times.length; i++)
      expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(PUBLISH_EVERY_MS - 37);
    const count = w.sent.length;
    await w.advance(10 * PUBLISH_EVERY_MS);
    await w.answer();
    expect(w.sent.length).toBeLessThanOrEqual(count + 1);
    const settled = w.sent.length;
    await w.advance(10 * PUBLISH_EVERY_MS);
    expect(w.sent.length).toBe(settled);
  });

  it("sends one RPC per relay per message, however many relays, and waits for a round before the next", async () => {
    const w = world();
    for (let s = 0; s < 8; s++) w.feed.subscribe(`drp_a:${s}`, "drp_a");
    w.change();
    await w.advance(0);
    expect(w.sent).toHaveLength(8);
    w.change();
    await w.advance(10 * PUBLISH_EVERY_MS);
    // The first round is still unanswered: nothing more is sent, so each relay gets messages in order.
    expect(w.sent).toHaveLength(8);
    await w.answer();
    await w.advance(PUBLISH_EVERY_MS);
    expect(w.sent.slice(8).map((s) => s.seq)).toEqual(new Array(8).fill(2));
  });

  it("forgets a relay that answers with no viewers, but not one that subscribed again meanwhile", async () => {
    const viewers = new Map([
      ["drp_a:0", 0],
      ["drp_a:1", 0],
    ]);
    const w = world((relay) => viewers.get(relay) ?? 0);
    w.feed.subscribe("drp_a:0", "drp_a");
    w.feed.subscribe("drp_a:1", "drp_a");
    w.change();
    await w.advance(0);
    // Relay 1 gets a viewer and subscribes again before its empty answer arrives.
    w.feed.subscribe("drp_a:1", "drp_a");
    await w.answer();
    expect([...w.rows.keys()]).toEqual(["drp_a:1"]);
    expect(w.feed.relayCount()).toBe(1);
  });

  it("publishes nothing while no relay is subscribed, and answers the first one the current state", async () => {
    const w = world();
    w.change();
    await w.advance(10 * PUBLISH_EVERY_MS);
    expect(w.sent).toEqual([]);
    // The only relay is answered the current state; there is nobody else to send it to.
    expect(w.feed.subscribe("drp_a:0", "drp_a")?.seq).toBe(1);
    await w.advance(PUBLISH_EVERY_MS);
    await w.answer();
    expect(w.sent).toEqual([]);
  });

  it("answers a relay subscribing mid-interval the last published message, and brings every relay the same next one", async () => {
    const w = world();
    w.feed.subscribe("drp_a:0", "drp_a");
    w.change();
    await w.advance(0);
    await w.answer();
    w.change();
    // Relay 1 arrives while seq 2 waits for the interval: it gets seq 1, and seq 2 with everyone else.
    expect(w.feed.subscribe("drp_a:1", "drp_a")?.seq).toBe(1);
    await w.advance(PUBLISH_EVERY_MS);
    await w.answer();
    expect(w.sent.filter((s) => s.seq === 2).map((s) => s.relay)).toEqual(["drp_a:0", "drp_a:1"]);
  });
});
