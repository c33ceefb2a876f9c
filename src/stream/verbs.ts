/**
 * Opening a viewer's stream: the drop must exist in D1 (no object is touched for an id D1 does not
 * know), a browser's Origin must be one the drop's creator allows (WebSockets are not covered by CORS,
 * so the check is here), and the viewer is forwarded to its relay, which answers the upgrade or the
 * event stream. The drop's own object is never on this path except when a relay subscribes.
 */
import type { BuyerContext } from "../context";
import { ownerOf } from "../db/owners";
import { drops } from "../db/schema";
import { AppError, notFound } from "../errors";
import { originAllowed } from "../http/origins";
import { DROP_ID } from "../inventory/gateway";
import type { StockRelay } from "./relay";
import { RELAYS_PER_DROP, relayName, shardOf } from "./shards";
import { RELAY_DROP_UNCONFIGURED, type StreamMode, viewerUrl } from "./viewer";

export interface StreamContext extends BuyerContext {
  relays: DurableObjectNamespace<StockRelay>;
  /** The worker's own origin (its hosted pages and overlays): always allowed. */
  selfOrigin: string;
}

export interface OpenStream {
  dropId: string;
  mode: StreamMode;
  /** The last `seq` the viewer holds: `Last-Event-ID` wins over `?after` (EventSource resends the URL). */
  after: number | null;
  /** Picks the viewer's relay: the client's own key, else its IP. */
  viewerKey: string;
  /** The browser's Origin header; absent for servers and native apps. */
  origin: string | undefined;
  /** The request to forward (its Upgrade and WebSocket headers). */
  request: Request;
}

/** The drop's creator; 404 before any object is touched when D1 knows no such drop. */
async function creatorOf(ctx: StreamContext, dropId: string): Promise<string> {
  const creatorId = DROP_ID.test(dropId) ? await ownerOf(ctx.db, drops, dropId) : null;
  if (creatorId === null) throw notFound("drop", dropId);
  // D1 vouched for the drop: the gateway may address its object without a read of its own.
  ctx.inventory.vouch(dropId);
  return creatorId;
}

export async function openStream({
  ctx,
  input,
}: {
  ctx: StreamContext;
  input: OpenStream;
}): Promise<Response> {
  const creatorId = await creatorOf(ctx, input.dropId);
  if (!(await originAllowed(ctx.db, creatorId, input.origin, ctx.selfOrigin)))
    throw new AppError(
      "origin_not_allowed",
      `The origin ${JSON.stringify(input.origin)} is not on this creator's allowed origins.`,
    );
  const relay = relayName(input.dropId, shardOf(input.viewerKey, RELAYS_PER_DROP));
  const stub = ctx.relays.get(ctx.relays.idFromName(relay));
  const forward = () =>
    stub.fetch(
      new Request(viewerUrl({ dropId: input.dropId, relay, after: input.after, mode: input.mode }), {
        headers: input.request.headers,
      }),
    );
  let res = await forward();
  if (res.status === RELAY_DROP_UNCONFIGURED) {
    // The drop's creation stopped between D1 and its object: the gateway configures it from D1.
    await ctx.inventory.snapshot(input.dropId);
    res = await forward();
  }
  if (res.status === RELAY_DROP_UNCONFIGURED) throw new Error(`drop ${input.dropId} stayed unconfigured`);
  // Mutable headers (the app adds Request-Id); the socket travels with the response.
  const headers = new Headers(res.headers);
  if (input.mode === "sse" && input.origin !== undefined) {
    headers.set("access-control-allow-origin", input.origin);
    headers.append("vary", "Origin");
  }
  return new Response(res.body, { status: res.status, headers, webSocket: res.webSocket });
}
