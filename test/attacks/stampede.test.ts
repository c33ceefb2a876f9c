import { exports } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { TicketRecord } from "../../src/admission/contract";
import { seededRandom } from "../../src/admission/random";
import type { StockMessage } from "../../src/contract/stream";
import type { DropInventory } from "../../src/inventory/drop-inventory";
import { api } from "../support/api";
import { expectInvariants, inventoryOf, liveDrop, uniqueKey } from "../support/drops";
import { createTenant } from "../support/tenants";

/**
 * The promise: a stampede at a drop's start is admitted fairly and never past its stock. Thousands of
 * viewers queue before the start of a 100-unit drop; at the start the early arrivals are shuffled
 * (arriving earlier buys nothing), admitted at the drop's rate only while stock is not spoken for,
 * admitted buyers hold, some walk away and their admissions lapse to the next in line, and when the
 * last unit is held every viewer still waiting reads sold out at once, and nobody is admitted after.
 *
 * Joins go straight to the drop's object over RPC (the route is one call to it, exercised here once);
 * admitted viewers read their tickets and hold through the HTTP routes, as a browser would.
 */
const VIEWERS = 3000;
const LATE = 100;
const STOCK = 100;
const SEED = 20261202;
const BUCKETS = 10;
/** The scalper's invented Buyer-Ids, all joining first, and the most admissions a fair shuffle gives them. */
const SCALPER_IDS = 60;
const SCALPER_FAIR_SHARE_BOUND = 8;
/** Chi-square's 99.9th percentile at (10 - 1) × (10 - 1) = 81 degrees of freedom (Wilson–Hilferty). */
const CHI_SQUARE_CRITICAL = 126.1;
/** Every tenth admitted viewer walks away: their admission lapses and the next in line gets it. */
const walksAway = (position: number) => position % 10 === 0;

/** Runs `each` over `items`, `width` at a time: thousands of RPCs without one huge burst. */
async function inWaves<T, R>(items: T[], width: number, each: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width)
    out.push(...(await Promise.all(items.slice(i, i + width).map(each))));
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A viewer on the stock stream's WebSocket, as a browser opens it, noting when each message arrived. */
async function watch(dropId: string, viewer: string) {
  const res = await exports.default.fetch(`http://api.test/v1/drops/${dropId}/stream?viewer=${viewer}`, {
    headers: { upgrade: "websocket" },
  });
  const ws = res.webSocket;
  if (res.status !== 101 || ws === null) throw new Error(`no socket: ${res.status}`);
  ws.accept();
  const messages: { at: number; message: StockMessage }[] = [];
  ws.addEventListener("message", (e) => {
    if (e.data !== "pong") messages.push({ at: Date.now(), message: JSON.parse(String(e.data)) });
  });
  return { ws, messages };
}
/** Stream viewers watching the sell-out (the other viewers poll their tickets). */
const WATCHERS = 50;

describe.each([{ shards: 1 }, { shards: 4 }])(
  "a stampede at the start of a 100-unit drop ($shards shard)",
  ({ shards }) => {
    it("shuffles early arrivals uniformly, admits only what stock allows, and tells everyone waiting sold out at once", async () => {
      const { runInDurableObject } = await import("cloudflare:test");
      const tenant = await createTenant();
      const dropId = await liveDrop(tenant, {
        stock: STOCK,
        per_buyer_limit: 1,
        starts_at: new Date(Date.now() + 3_600_000).toISOString(),
        queue: { enabled: true, admit_per_second: 200 },
        ...(shards > 1 ? { shards } : {}),
      });
      const stub = inventoryOf(dropId);
      let shed = 0;
      /** A viewer joins, and retries when the object sheds the join (503 with Retry-After over HTTP). */
      const joinAs = async (buyer: string): Promise<TicketRecord> => {
        for (;;) {
          const r = await stub.joinQueue(buyer);
          if (r.ok) return r.ticket;
          if (r.reason !== "overloaded") throw new Error(`join refused: ${r.reason}`);
          shed++;
          await sleep(50);
        }
      };
      // A fixed seed, so the chi-square below is a fixed test. Admissions lapse in 6 s, not 2 minutes:
      // long enough for a loaded CI machine to hold within it.
      await runInDurableObject(stub, (instance: DropInventory) => {
        instance.queueRandom = seededRandom(SEED);
        instance.admissionTtlMs = 6000;
      });

      // The route, once: a ticket with no position before the start.
      const viaRoute = await api("POST", `/v1/drops/${dropId}/queue`, {
        headers: { "buyer-id": "viewer-0000" },
      });
      expect(viaRoute).toMatchObject({ status: 201, body: { status: "waiting", position: null } });
      const buyers = Array.from({ length: VIEWERS }, (_, i) => `viewer-${String(i).padStart(4, "0")}`);
      const joinStarted = Date.now();
      const joined = await inWaves(buyers.slice(1), 250, (b) => joinAs(`anon:${b}`));
      const joinMs = Date.now() - joinStarted;
      const early: TicketRecord[] = [
        (await stub.ticket(viaRoute.body.id, "anon:viewer-0000")) as TicketRecord,
        ...joined,
      ];
      expect(new Set(early.map((t) => t.id)).size).toBe(VIEWERS);
      expect((await stub.snapshot())?.queue).toMatchObject({ state: "gathering", waiting: VIEWERS });

      const watchers = await Promise.all(
        Array.from({ length: WATCHERS }, (_, i) => watch(dropId, `watcher-${String(i).padStart(4, "0")}`)),
      );

      // The drop starts now, and a hundred more arrive after it. Positions are read from the object's
      // storage in one go: read one by one, the first admissions would lapse before the loop below.
      const patched = await api("PATCH", `/v1/drops/${dropId}`, {
        key: tenant.key,
        body: { starts_at: new Date().toISOString() },
      });
      expect(patched.status).toBe(200);
      const late = await inWaves(
        Array.from({ length: LATE }, (_, i) => `late-${i}`),
        25,
        (b) => joinAs(`anon:${b}`),
      );
      const stored = await runInDurableObject(stub, (_i, state) =>
        state.storage.sql
          .exec("SELECT id, buyer, arrival, position FROM queue_tickets")
          .toArray()
          .map((r) => ({
            id: String(r.id),
            buyer: String(r.buyer),
            arrival: Number(r.arrival),
            position: Number(r.position),
          })),
      );
      const earlyIds = new Set(early.map((t) => t.id));
      const landed = stored.filter((t) => earlyIds.has(t.id));
      const lateLanded = stored.filter((t) => !earlyIds.has(t.id));
      expect(lateLanded).toHaveLength(late.length);

      // Where each early arrival landed: a permutation of 1..3000, independent of arrival order.
      const positions = landed.map((t) => t.position);
      expect([...positions].sort((a, b) => a - b)).toEqual(Array.from({ length: VIEWERS }, (_, i) => i + 1));
      const byArrival = [...landed].sort((a, b) => a.arrival - b.arrival);
      const table = Array.from({ length: BUCKETS }, () => new Array<number>(BUCKETS).fill(0));
      byArrival.forEach((t, i) => {
        const row = table[Math.floor((i * BUCKETS) / VIEWERS)] as number[];
        const col = Math.floor(((t.position - 1) * BUCKETS) / VIEWERS);
        row[col] = (row[col] ?? 0) + 1;
      });
      const expected = VIEWERS / (BUCKETS * BUCKETS);
      const chiSquare = table.flat().reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
      expect(chiSquare).toBeLessThan(CHI_SQUARE_CRITICAL);
      // Late arrivals are behind every early one, in the order they came.
      expect([...lateLanded].sort((a, b) => a.arrival - b.arrival).map((t) => t.position)).toEqual(
        lateLanded.map((_, i) => VIEWERS + i + 1),
      );

      // Admitted viewers hold as they are admitted; every tenth walks away.
      type Landed = (typeof stored)[number];
      const atPosition = new Map<number, Landed>();
      for (const t of stored) atPosition.set(t.position, t);
      let seen = 0;
      let lastHoldAt = 0;
      const holds: number[] = [];
      let holdsShed = 0;
      const holdAsAdmitted = async (t: Landed): Promise<number> => {
        const buyer = t.buyer.slice("anon:".length);
        const ticket = await api("GET", `/v1/drops/${dropId}/queue/${t.id}`, {
          headers: { "buyer-id": buyer },
        });
        expect(ticket.body.status).toBe("admitted");
        // A burst of holds on a busy machine may be shed (503, Retry-After): the viewer retries with the
        // same key, as a client does, while its admission lasts.
        const key = uniqueKey();
        for (;;) {
          const hold = await api("POST", `/v1/drops/${dropId}/holds`, {
            headers: {
              "buyer-id": buyer,
              "idempotency-key": key,
              "admission-token": ticket.body.admission_token,
            },
            body: { quantity: 1 },
          });
          if (hold.status !== 503) {
            lastHoldAt = Math.max(lastHoldAt, Date.now());
            return hold.status;
          }
          holdsShed++;
          await sleep(100);
        }
      };
      const deadline = Date.now() + 30_000;
      let soldOutAt: number | null = null;
      while (Date.now() < deadline) {
        const stats = await stub.queueStats();
        if (stats === null) throw new Error("the queue vanished");
        // Never more spoken for than is left: admission stops at stock.
        expect(stats.spokenFor).toBeLessThanOrEqual(stats.available);
        expect(await stub.selfCheck()).toEqual([]);
        if (stats.state === "sold_out") {
          soldOutAt = Date.now();
          break;
        }
        const admitted = [];
        for (let p = seen + 1; p <= stats.admitted_through; p++) {
          const t = atPosition.get(p);
          if (t !== undefined && !walksAway(p)) admitted.push(t);
        }
        holds.push(...(await Promise.all(admitted.map(holdAsAdmitted))));
        seen = Math.max(seen, stats.admitted_through);
        await sleep(200);
      }
      expect(soldOutAt).not.toBeNull();
      // Every admitted viewer who held got their unit; exactly the stock was held, nothing oversold.
      expect(
        holds.filter((h) => h !== 201),
        JSON.stringify(holds),
      ).toEqual([]);
      expect(holds).toEqual(new Array(STOCK).fill(201));
      expect(await expectInvariants(dropId)).toMatchObject({ stock: STOCK, held: STOCK, available: 0 });

      // Everyone still waiting reads sold out, at once: one state, not a message per viewer.
      const through = (await stub.queueStats())?.admitted_through ?? 0;
      const waiting = [...atPosition.entries()].filter(([p]) => p > through).map(([, t]) => t);
      const told = Date.now();
      const readings = await inWaves(
        waiting,
        250,
        async (t) => (await stub.ticket(t.id, t.buyer)) as TicketRecord,
      );
      const tellMs = Date.now() - told;
      expect(new Set(readings.map((r) => r.status))).toEqual(new Set(["sold_out"]));
      expect(readings.length).toBe(VIEWERS + LATE - through);

      // The invented-buyer scalper of issue 18's Why: the first SCALPER_IDS tickets of all, each an id
      // the client made up, joined before anyone else. Arriving first buys nothing: of the `through`
      // admissions, their share is that of any SCALPER_IDS viewers. 60 of 3,100 tickets expect about 2 of
      // ~110 admissions; 8 is beyond the hypergeometric tail's 99.9th percentile (without the shuffle,
      // first come first served, they would have been admitted 60 times and held 60 of the 100 units).
      const scalper = new Set(buyers.slice(1, 1 + SCALPER_IDS).map((b) => `anon:${b}`));
      const scalperAdmitted = [...atPosition.entries()].filter(
        ([p, t]) => p <= through && scalper.has(t.buyer),
      );
      expect(scalperAdmitted.length).toBeLessThanOrEqual(SCALPER_FAIR_SHARE_BOUND);
      // The stock read (what the overlay and polling viewers see) says so too.
      await sleep(1100);
      expect((await api("GET", `/v1/drops/${dropId}/stock`)).body.queue).toMatchObject({ state: "sold_out" });

      // Every stream viewer hears the sell-out from one broadcast, and nobody admitted after it.
      const heard = await vi.waitFor(
        () =>
          watchers.map(({ messages }) => {
            const i = messages.findIndex((m) => m.message.queue?.state === "sold_out");
            if (i < 0) throw new Error("a watcher has not heard the sell-out yet");
            for (const later of messages.slice(i))
              expect(later.message.queue?.admitted_through).toBe(through);
            return (messages[i]?.at ?? 0) - lastHoldAt;
          }),
        { timeout: 5000, interval: 50 },
      );
      const lastToHearMs = Math.max(...heard);
      for (const { ws } of watchers) ws.close();

      // Nobody is admitted after sell-out, however long the object keeps ticking.
      await sleep(2500);
      expect(await stub.queueStats()).toMatchObject({
        state: "sold_out",
        admitted_through: through,
        spokenFor: 0,
      });
      // biome-ignore lint/suspicious/noConsole: the stampede's figures, for docs/admission.md and the README
      console.log(
        JSON.stringify({
          stampede: {
            shards,
            viewers: VIEWERS + LATE,
            joinsPerSecond: Math.round(((VIEWERS - 1) * 1000) / joinMs),
            joinsShedAndRetried: shed,
          },
          chiSquare: Number(chiSquare.toFixed(1)),
          admittedThrough: through,
          scalperAdmitted: scalperAdmitted.length,
          readAllWaitingMs: tellMs,
          lastHoldToLastWatcherSoldOutMs: lastToHearMs,
          holdsShedAndRetried: holdsShed,
        }),
      );
    }, 90_000);
  },
);
