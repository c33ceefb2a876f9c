/**
 * A stock relay: one shard of a drop's viewers (shards.ts), so the drop's object never does the sends.
 * The drop feeds it coalesced messages (one RPC per message, feed.ts); it fans each out to its viewers:
 * WebSockets through the Hibernation API (accepted with `ctx.acceptWebSocket`, pings answered by the
 * runtime's auto-response, no timer of its own, so between messages the object may leave memory while
 * its sockets stay open) and SSE streams (which keep it in memory while they are open).
 *
 * It keeps the last RING_SIZE messages in its SQLite, so a viewer that resumes with `after` gets exactly
 * what it missed, even across hibernation; otherwise a snapshot. It subscribes itself to the drop when
 * a viewer arrives and it is not fed, and tells the drop it has no viewers by answering a message so.
 */
import { DurableObject } from "cloudflare:workers";
import type { StockMessage } from "../contract/stream";
import { asSnapshot, RING_SIZE, replayAfter } from "./messages";
import { RELAY_DROP_UNCONFIGURED, readViewer, type ViewerRequest } from "./viewer";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS feed (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  subscribed INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ring (
  seq INTEGER PRIMARY KEY,
  body TEXT NOT NULL
);`;

/** SSE comment lines this often, only while SSE viewers are connected: proxies drop silent streams. */
export const SSE_HEARTBEAT_MS = 25_000;

const encoder = new TextEncoder();
const sseEvent = (m: StockMessage): string =>
  `id: ${m.seq}\nevent: ${m.type}\ndata: ${JSON.stringify(m)}\n\n`;

export class StockRelay extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private latest: StockMessage | null | undefined;
  private subscribing: Promise<StockMessage | null> | null = null;
  private readonly sse = new Set<WritableStreamDefaultWriter<Uint8Array>>();
  private heartbeat: ReturnType<typeof setInterval> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
    // Answered by the runtime without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  /** A viewer, forwarded by the worker's stream route (routes/drops/stream.ts). */
  override async fetch(request: Request): Promise<Response> {
    const viewer = readViewer(new URL(request.url));
    const latest = await this.fed(viewer);
    if (latest === null) return new Response(null, { status: RELAY_DROP_UNCONFIGURED });
    const opening = this.opening(viewer.after, latest);
    return viewer.mode === "websocket" ? this.acceptSocket(opening) : this.openEventStream(opening);
  }

  /** A message from the drop: kept, sent to every viewer; the answer says whether anyone still listens. */
  receive(message: StockMessage): { viewers: number } {
    if (this.keep(message)) {
      const text = JSON.stringify(message);
      for (const ws of this.ctx.getWebSockets()) {
        try {
          ws.send(text);
        } catch {
          // Closing already: its close handler tidies up.
        }
      }
      if (this.sse.size > 0) {
        const chunk = encoder.encode(sseEvent(message));
        for (const writer of this.sse) writer.write(chunk).catch(() => this.dropStream(writer));
      }
    }
    // A viewer being let in counts: the drop must not forget a relay that is subscribing again.
    const viewers = this.ctx.getWebSockets().length + this.sse.size + (this.subscribing ? 1 : 0);
    if (viewers === 0) this.sql.exec("INSERT OR REPLACE INTO feed (id, subscribed) VALUES (1, 0)");
    return { viewers };
  }

  /** What the relay holds, for tests and operators. */
  state(): { subscribed: boolean; kept: number; newest: number | null; sockets: number; streams: number } {
    const [row] = this.sql.exec("SELECT count(*) AS n FROM ring").toArray();
    return {
      subscribed: this.subscribed(),
      kept: Number(row?.n ?? 0),
      newest: this.newest()?.seq ?? null,
      sockets: this.ctx.getWebSockets().length,
      streams: this.sse.size,
    };
  }

  override webSocketMessage(): void {
    // Viewers only listen; "ping" is answered by the auto-response without waking the object.
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    try {
      ws.close(code, reason);
    } catch {
      // The runtime already answered the close.
    }
  }

  override webSocketError(): void {
    // The socket is gone; the runtime drops it from getWebSockets().
  }

  /** The newest message, subscribing to the drop first when the relay is not fed. */
  private async fed(viewer: ViewerRequest): Promise<StockMessage | null> {
    const newest = this.newest();
    if (newest !== null && this.subscribed()) return newest;
    this.subscribing ??= this.subscribe(viewer).finally(() => {
      this.subscribing = null;
    });
    return this.subscribing;
  }

  private async subscribe({ dropId, relay }: ViewerRequest): Promise<StockMessage | null> {
    const drops = this.env.DROP_INVENTORY;
    const message = await drops.get(drops.idFromName(dropId)).subscribe(relay, dropId);
    if (message === null) return null;
    this.sql.exec("INSERT OR REPLACE INTO feed (id, subscribed) VALUES (1, 1)");
    this.keep(message);
    return this.newest();
  }

  private subscribed(): boolean {
    const [row] = this.sql.exec("SELECT subscribed FROM feed WHERE id = 1").toArray();
    return Number(row?.subscribed ?? 0) === 1;
  }

  private newest(): StockMessage | null {
    if (this.latest === undefined) {
      const [row] = this.sql.exec("SELECT body FROM ring ORDER BY seq DESC LIMIT 1").toArray();
      this.latest = row ? (JSON.parse(String(row.body)) as StockMessage) : null;
    }
    return this.latest;
  }

  /** Keeps a message newer than any held (older or repeated ones are ignored); the ring stays bounded. */
  private keep(message: StockMessage): boolean {
    const newest = this.newest();
    if (newest !== null && message.seq <= newest.seq) return false;
    this.sql.exec("INSERT INTO ring (seq, body) VALUES (?, ?)", message.seq, JSON.stringify(message));
    this.sql.exec(
      "DELETE FROM ring WHERE seq < (SELECT seq FROM ring ORDER BY seq DESC LIMIT 1 OFFSET ?)",
      RING_SIZE - 1,
    );
    this.latest = message;
    return true;
  }

  /** A resuming viewer's missed messages, or a snapshot of the newest. */
  private opening(after: number | null, latest: StockMessage): StockMessage[] {
    if (after !== null) {
      const later = this.sql
        .exec("SELECT body FROM ring WHERE seq > ? ORDER BY seq", after)
        .toArray()
        .map((r) => JSON.parse(String(r.body)) as StockMessage);
      const replay = replayAfter(later, after, latest.seq);
      if (replay !== null) return replay;
    }
    return [asSnapshot(latest)];
  }

  private acceptSocket(opening: StockMessage[]): Response {
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    for (const message of opening) server.send(JSON.stringify(message));
    return new Response(null, { status: 101, webSocket: client });
  }

  private openEventStream(opening: StockMessage[]): Response {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    this.sse.add(writer);
    const first = `retry: 1000\n\n${opening.map(sseEvent).join("")}`;
    writer.write(encoder.encode(first)).catch(() => this.dropStream(writer));
    this.heartbeat ??= setInterval(() => {
      const beat = encoder.encode(": keep-alive\n\n");
      for (const w of this.sse) w.write(beat).catch(() => this.dropStream(w));
    }, SSE_HEARTBEAT_MS);
    return new Response(readable, {
      status: 200,
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store" },
    });
  }

  private dropStream(writer: WritableStreamDefaultWriter<Uint8Array>): void {
    this.sse.delete(writer);
    writer.abort().catch(() => {});
    if (this.sse.size === 0 && this.heartbeat !== null) {
      clearInterval(this.heartbeat);
      this.heartbeat = null;
    }
  }
}
