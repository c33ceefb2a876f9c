import { env, exports } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { StockMessage } from "../../src/contract/stream";
import { creatorOrigins } from "../../src/db/schema";
import { InventoryStore } from "../../src/inventory/store";
import type { StockRelay } from "../../src/stream/relay";
import { RELAYS_PER_DROP, relayName, shardOf } from "../../src/stream/shards";
import { api } from "../support/api";
import { inventoryOf, liveDrop, reserveVia, uniqueKey } from "../support/drops";
import { createTenant, db, type Tenant } from "../support/tenants";

const BASE = "http://api.test";
const WAIT = { timeout: 10_000, interval: 20 };

interface Viewer {
  ws: WebSocket;
  messages: StockMessage[];
  /** Waits until some message satisfies `until`; answers it. */
  waitFor: (until: (m: StockMessage) => boolean) => Promise<StockMessage>;
}

const streamUrl = (dropId: string, q: Record<string, string | number | undefined> = {}) => {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) params.set(k, String(v));
  return `${BASE}/v1/drops/${dropId}/stream${params.size > 0 ? `?${params}` : ""}`;
};

const open = (dropId: string, q: Record<string, string | number | undefined> = {}, headers = {}) =>
  exports.default.fetch(streamUrl(dropId, q), { headers: { upgrade: "websocket", ...headers } });

/** A WebSocket viewer, as a browser would open it (through the worker's own route). */
async function watch(dropId: string, q: Record<string, string | number | undefined> = {}): Promise<Viewer> {
  const res = await open(dropId, q);
  expect(res.status).toBe(101);
  const ws = res.webSocket;
  if (ws === null) throw new Error("no socket on a 101");
  ws.accept();
  const messages: StockMessage[] = [];
  ws.addEventListener("message", (e) => {
    if (e.data !== "pong") messages.push(JSON.parse(String(e.data)));
  });
  const waitFor = (until: (m: StockMessage) => boolean) =>
    vi.waitFor(() => {
      const hit = messages.find(until);
      if (hit === undefined)
        throw new Error(`still waiting; have ${JSON.stringify(messages.map((m) => m.seq))}`);
      return hit;
    }, WAIT);
  return { ws, messages, waitFor };
}

const relayOf = (dropId: string, viewer: string) => {
  const name = relayName(dropId, shardOf(viewer, RELAYS_PER_DROP));
  return env.STOCK_RELAY.get(env.STOCK_RELAY.idFromName(name)) as DurableObjectStub<StockRelay>;
};

/** Every update names the message before it, and versions only rise. */
function expectChained(messages: StockMessage[]) {
  for (let i = 1; i < messages.length; i++) {
    const [prev, m] = [messages[i - 1] as StockMessage, messages[i] as StockMessage];
    expect(m.type).toBe("update");
    expect(m.seq).toBeGreaterThan(prev.seq);
    expect(m.prev_seq).toBe(prev.seq);
  }
}

const sequential = async (n: number, reserve: () => Promise<unknown>) => {
  for (let i = 0; i < n; i++) await reserve();
};

async function allowOrigin(tenant: Tenant, origin: string) {
  await db.insert(creatorOrigins).values({ creatorId: tenant.creatorId, origin, createdAt: Date.now() });
}

describe("GET /v1/drops/{id}/stream over a WebSocket", () => {
  it("opens with a snapshot of the drop's counters and the seq the cached poll carries", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 10 });
    await reserveVia(dropId, { quantity: 2 });
    const viewer = await watch(dropId, { viewer: uniqueKey("viewer") });
    const snapshot = await viewer.waitFor(() => true);
    expect(snapshot).toMatchObject({
      type: "snapshot",
      drop_id: dropId,
      stock: 10,
      held: 2,
      available: 8,
      sold: 0,
      phase: "live",
      holds_total: 1,
      releases_total: 0,
    });
    const poll = await api("GET", `/v1/drops/${dropId}/stock`);
    expect(poll.body).toMatchObject({ seq: snapshot.seq, holds_total: 1, releases_total: 0, held: 2 });
    viewer.ws.close();
  });

  it("coalesces a run of holds into fewer messages whose hold counts add up to the holds placed", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 50 });
    const viewer = await watch(dropId, { viewer: uniqueKey("viewer") });
    const snapshot = await viewer.waitFor((m) => m.type === "snapshot");
    await sequential(12, () => reserveVia(dropId));
    const last = await viewer.waitFor((m) => m.held === 12);
    const updates = viewer.messages.slice(1);
    expectChained(viewer.messages);
    // Each update covers one or more versions; none is sent without a change.
    expect(updates.length).toBeLessThanOrEqual(last.seq - snapshot.seq);
    expect(updates.reduce((n, m) => n + m.holds, 0)).toBe(12);
    expect(last).toMatchObject({ holds_total: 12, available: 38, releases: 0 });
    for (const m of updates) expect(m.holds).toBeGreaterThan(0);
    viewer.ws.close();
  });

  it("does not move seq for a replayed reserve: the next message follows the last one by one version", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 5 });
    const viewer = await watch(dropId, { viewer: uniqueKey("viewer") });
    const first = await reserveVia(dropId, { buyer: "buyer-replay-1", key: "same-key" });
    const held = await viewer.waitFor((m) => m.held === 1);
    const replay = await reserveVia(dropId, { buyer: "buyer-replay-1", key: "same-key" });
    expect(replay.body.id).toBe(first.body.id);
    await reserveVia(dropId);
    const next = await viewer.waitFor((m) => m.held === 2);
    expect(next).toMatchObject({ seq: held.seq + 1, prev_seq: held.seq, holds: 1, holds_total: 2 });
    viewer.ws.close();
  });

  it("counts releases and expiries as releases, with running totals", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 5 });
    const viewer = await watch(dropId, { viewer: uniqueKey("viewer") });
    const hold = await reserveVia(dropId, { buyer: "buyer-release-1" });
    await viewer.waitFor((m) => m.held === 1);
    const gone = await api("DELETE", `/v1/drops/${dropId}/holds/${hold.body.id}`, {
      headers: { "buyer-id": "buyer-release-1" },
    });
    expect(gone.status).toBe(200);
    const released = await viewer.waitFor((m) => m.releases_total === 1);
    expect(released).toMatchObject({ held: 0, available: 5, releases: 1, holds_total: 1 });
    viewer.ws.close();
  });

  it("answers ping with pong from the runtime's auto-response", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 1 });
    const key = uniqueKey("viewer");
    const viewer = await watch(dropId, { viewer: key });
    const pong = new Promise<string>((resolve) =>
      viewer.ws.addEventListener("message", (e) => e.data === "pong" && resolve(e.data)),
    );
    viewer.ws.send("ping");
    expect(await pong).toBe("pong");
    const { runInDurableObject } = await import("cloudflare:test");
    const answered = await runInDurableObject(relayOf(dropId, key), (_, state) =>
      state.getWebSockets().map((ws) => state.getWebSocketAutoResponseTimestamp(ws) !== null),
    );
    expect(answered).toEqual([true]);
    viewer.ws.close();
  });
});

describe("resuming the stream", () => {
  it("gives a viewer who reconnects with ?after exactly the messages it missed, in order", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 50 });
    const key = uniqueKey("viewer");
    // Another viewer on the same relay keeps it fed while the first is away.
    const stayer = await watch(dropId, { viewer: key });
    const leaver = await watch(dropId, { viewer: key });
    await reserveVia(dropId);
    const held = await leaver.waitFor((m) => m.held === 1);
    leaver.ws.close();
    for (let n = 2; n <= 4; n++) {
      await reserveVia(dropId);
      await stayer.waitFor((m) => m.held === n);
    }
    const back = await watch(dropId, { viewer: key, after: held.seq });
    await back.waitFor((m) => m.held === 4);
    const missed = stayer.messages.filter((m) => m.seq > held.seq);
    expect(back.messages).toEqual(missed);
    expect(back.messages[0]?.prev_seq).toBe(held.seq);
    expectChained([held, ...back.messages]);
    stayer.ws.close();
    back.ws.close();
  });

  it("sends a fresh snapshot to a viewer whose ?after the relay cannot chain from", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 5 });
    await reserveVia(dropId);
    const viewer = await watch(dropId, { viewer: uniqueKey("viewer"), after: 999_999 });
    expect(await viewer.waitFor(() => true)).toMatchObject({ type: "snapshot", held: 1 });
    viewer.ws.close();
  });

  it("sends nothing to a viewer who already holds the newest seq, then the next change", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 5 });
    const key = uniqueKey("viewer");
    const first = await watch(dropId, { viewer: key });
    const snapshot = await first.waitFor(() => true);
    const again = await watch(dropId, { viewer: key, after: snapshot.seq });
    await reserveVia(dropId);
    const update = await again.waitFor((m) => m.held === 1);
    expect(again.messages).toEqual([update]);
    expect(update).toMatchObject({ type: "update", prev_seq: snapshot.seq });
    first.ws.close();
    again.ws.close();
  });
});

/** Reads server-sent events off a streaming response until `until` holds for the events so far. */
async function readEvents(res: Response, until: (events: SseEvent[]) => boolean): Promise<SseEvent[]> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  let buffer = "";
  while (!until(events)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = Object.fromEntries(
        block
          .split("\n")
          .filter((l) => l.length > 0 && !l.startsWith(":"))
          .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()]),
      );
      if (fields.data !== undefined)
        events.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) });
      end = buffer.indexOf("\n\n");
    }
  }
  await reader.cancel();
  return events;
}
interface SseEvent {
  id: string | undefined;
  event: string | undefined;
  data: StockMessage;
}

describe("GET /v1/drops/{id}/stream as server-sent events", () => {
  it("streams a snapshot with id = seq, then resumes after Last-Event-ID with exactly the missed updates", async () => {
    const tenant = await createTenant();
    const dropId = await liveDrop(tenant, { stock: 20 });
    const key = uniqueKey("viewer");
    const feeder = await watch(dropId, { viewer: key });
    await feeder.waitFor(() => true);
    const sse = (headers: Record<string, string> = {}) =>
      exports.default.fetch(streamUrl(dropId, { viewer: key }), {
        headers: { accept: "text/event-stream", ...headers },
      });
    const first = await sse();
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const [snapshot] = await readEvents(first, (e) => e.length >= 1);
    expect(snapshot).toMatchObject({ event: "snapshot", data: { type: "snapshot", held: 0 } });
    expect(snapshot?.id).toBe(String(snapshot?.data.seq));

    for (let n = 1; n <= 3; n++) {
      await reserveVia(dropId);
      await feeder.waitFor((m) => m.held === n);
    }
    const resumed = await sse({ "last-event-id": String(snapshot?.data.seq) });
    const events = await readEvents(resumed, (e) => e.at(-1)?.data.held === 3);
    const missed = feeder.messages.filter((m) => m.seq > (snapshot?.data.seq ?? 0));
    expect(events.map((e) => e.data)).toEqual(missed);
    expect(events.map((e) => e.id)).toEqual(missed.map((m) => String(m.seq)));
    feeder.ws.close();
  });

  it("names an allowed origin in Access-Control-Allow-Origin, and refuses one the creator does not allow", async () => {
    const tenant = await createTenant();
    const dropId = await liveDrop(tenant, { stock: 2 });
    await allowOrigin(tenant, "https://fans.example");
    const allowed = await exports.default.fetch(streamUrl(dropId), {
      headers: { accept: "text/event-stream", origin: "https://fans.example" },
    });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://fans.example");
    await readEvents(allowed, (e) => e.length >= 1);
    const refused = await api("GET", `/v1/drops/${dropId}/stream`, {
      headers: { accept: "text/event-stream", origin: "https://elsewhere.example" },
    });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("the stream's origin check (WebSockets are not covered by CORS)", () => {
  it("refuses a WebSocket from an origin the drop's creator does not allow with 403 problem+json", async () => {
    const tenant = await createTenant();
    const dropId = await liveDrop(tenant, { stock: 2 });
    // Allowed for another creator: not for this one.
    await allowOrigin(await createTenant(), "https://other-creator.example");
    for (const origin of ["https://evil.example", "https://other-creator.example", "null"]) {
      const res = await api("GET", `/v1/drops/${dropId}/stream`, {
        headers: { upgrade: "websocket", origin },
      });
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ type: "https://creator-commerce.dev/problems/origin-not-allowed" });
    }
  });

  it("accepts the creator's allowed origin, the worker's own origin, and no origin at all", async () => {
    const tenant = await createTenant();
    const dropId = await liveDrop(tenant, { stock: 2 });
    await allowOrigin(tenant, "https://shop.example");
    for (const headers of [{ origin: "https://shop.example" }, { origin: BASE }, {}]) {
      const res = await open(dropId, {}, headers);
      expect(res.status).toBe(101);
      res.webSocket?.accept();
      res.webSocket?.close();
    }
  });
});

describe("bad requests to the stream", () => {
  it("answers 404 for a drop D1 does not know, before any relay or drop object exists", async () => {
    const { listDurableObjectIds } = await import("cloudflare:test");
    const dropId = `drp_madeup_${uniqueKey("x").replace(/-/g, "_")}`;
    const res = await api("GET", `/v1/drops/${dropId}/stream`, { headers: { upgrade: "websocket" } });
    expect(res.status).toBe(404);
    const names = new Set(
      Array.from({ length: RELAYS_PER_DROP }, (_, s) =>
        env.STOCK_RELAY.idFromName(relayName(dropId, s)).toString(),
      ),
    );
    const relays = await listDurableObjectIds(env.STOCK_RELAY);
    expect(relays.filter((id) => names.has(id.toString()))).toEqual([]);
    const dropObjects = await listDurableObjectIds(env.DROP_INVENTORY);
    expect(dropObjects.map(String)).not.toContain(env.DROP_INVENTORY.idFromName(dropId).toString());
  });

  it.each([
    ["neither a WebSocket nor an event stream", "", {}, 400],
    ["an after that is not plain digits", "?after=0x10", { upgrade: "websocket" }, 422],
    ["a viewer key that is too short", "?viewer=abc", { upgrade: "websocket" }, 422],
    ["a Last-Event-ID that is not a seq", "", { accept: "text/event-stream", "last-event-id": "abc" }, 422],
  ])("answers %s with its problem status", async (_, query, headers, status) => {
    const dropId = await liveDrop(await createTenant(), { stock: 1 });
    const res = await api("GET", `/v1/drops/${dropId}/stream${query}`, { headers });
    expect(res.status).toBe(status);
  });
});

describe("relays and the drop", () => {
  it("feeds a relay from the drop, which forgets it once it reports no viewers, and feeds it again when one returns", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 10 });
    const key = uniqueKey("viewer");
    const relay = relayOf(dropId, key);
    const drop = inventoryOf(dropId);
    const viewer = await watch(dropId, { viewer: key });
    await viewer.waitFor(() => true);
    expect(await drop.relayCount()).toBe(1);
    await reserveVia(dropId);
    await viewer.waitFor((m) => m.held === 1);
    expect(await relay.state()).toMatchObject({ subscribed: true, sockets: 1 });

    viewer.ws.close();
    await vi.waitFor(async () => expect((await relay.state()).sockets).toBe(0), WAIT);
    await reserveVia(dropId);
    await vi.waitFor(async () => expect(await drop.relayCount()).toBe(0), WAIT);
    expect(await relay.state()).toMatchObject({ subscribed: false });

    await reserveVia(dropId);
    const back = await watch(dropId, { viewer: key });
    expect(await back.waitFor(() => true)).toMatchObject({ type: "snapshot", held: 3, holds_total: 3 });
    expect(await drop.relayCount()).toBe(1);
    back.ws.close();
  });

  it("spreads viewers over relays by their key, each fed by the same chain of messages", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 10 });
    const keys = Array.from({ length: 6 }, (_, i) => `viewer-spread-${i}-${uniqueKey("v")}`);
    const viewers = await Promise.all(keys.map((viewer) => watch(dropId, { viewer })));
    const shards = new Set(keys.map((k) => shardOf(k)));
    expect(await inventoryOf(dropId).relayCount()).toBe(shards.size);
    await sequential(3, () => reserveVia(dropId));
    for (const v of viewers) await v.waitFor((m) => m.held === 3);
    const chains = viewers.map((v) => v.messages.slice(1).map((m) => [m.seq, m.prev_seq]));
    for (const chain of chains) expect(chain).toEqual(chains[0]);
    for (const v of viewers) v.ws.close();
  });
});

describe("the drop's state version", () => {
  it("is stored with the drop: after its object is evicted, seq and the totals carry on from where they were", async () => {
    const { evictDurableObject } = await import("cloudflare:test");
    const dropId = await liveDrop(await createTenant(), { stock: 10 });
    const viewer = await watch(dropId, { viewer: uniqueKey("viewer") });
    await sequential(2, () => reserveVia(dropId));
    const before = await viewer.waitFor((m) => m.held === 2);
    await evictDurableObject(inventoryOf(dropId));
    await reserveVia(dropId);
    const after = await viewer.waitFor((m) => m.held === 3);
    expect(after).toMatchObject({ seq: before.seq + 1, prev_seq: before.seq, holds: 1, holds_total: 3 });
    const poll = await api("GET", `/v1/drops/${dropId}/stock`);
    expect(poll.body).toMatchObject({ seq: after.seq, holds_total: 3 });
    viewer.ws.close();
  });

  it("starts an object older than the stream from the holds it stores", async () => {
    const { runInDurableObject } = await import("cloudflare:test");
    const dropId = await liveDrop(await createTenant(), { stock: 10 });
    const hold = await reserveVia(dropId, { buyer: "buyer-older-1", quantity: 2 });
    await reserveVia(dropId);
    await api("DELETE", `/v1/drops/${dropId}/holds/${hold.body.id}`, {
      headers: { "buyer-id": "buyer-older-1" },
    });
    const seeded = await runInDurableObject(inventoryOf(dropId), (_, state) => {
      // As the object was before this change: no version row, no table.
      state.storage.sql.exec("DROP TABLE stream_version");
      return new InventoryStore(state.storage.sql).stream.version();
    });
    expect(seeded).toEqual({ seq: 0, holdsTotal: 2, releasesTotal: 1, salesTotal: 0 });
  });
});

describe("hibernation", () => {
  it("keeps no alarm or timer in a relay with only WebSocket viewers, and its sockets survive eviction", async () => {
    const { runInDurableObject, evictDurableObject } = await import("cloudflare:test");
    const dropId = await liveDrop(await createTenant(), { stock: 10 });
    const key = uniqueKey("viewer");
    const relay = relayOf(dropId, key);
    const viewer = await watch(dropId, { viewer: key });
    await reserveVia(dropId);
    const before = await viewer.waitFor((m) => m.held === 1);

    const idle = await runInDurableObject(relay, async (instance: StockRelay, state) => ({
      alarm: await state.storage.getAlarm(),
      sockets: state.getWebSockets().length,
      // The relay's only timer is the SSE heartbeat, set while SSE viewers are connected.
      heartbeat: (instance as unknown as { heartbeat: unknown }).heartbeat,
    }));
    expect(idle).toEqual({ alarm: null, sockets: 1, heartbeat: null });

    // The runtime tears the relay's instance down and hibernates its sockets, as it does when idle.
    await evictDurableObject(relay);
    await reserveVia(dropId);
    const after = await viewer.waitFor((m) => m.held === 2);
    // A new instance, from storage alone: it knew it was fed and what it sent last.
    expect(after).toMatchObject({ prev_seq: before.seq, type: "update" });
    const woke = await runInDurableObject(relay, (_, state) => state.getWebSockets().length);
    expect(woke).toBe(1);
    viewer.ws.close();
  });
});
