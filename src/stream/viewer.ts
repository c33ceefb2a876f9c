/**
 * What the worker (stream/verbs.ts) and a stock relay (stream/relay.ts) say to each other about a viewer:
 * kept apart from the relay's Durable Object class, so the worker's side imports no runtime module.
 */
/** Answered by the relay when the drop's object was never configured: the worker heals it and retries. */
export const RELAY_DROP_UNCONFIGURED = 424;
export type StreamMode = "websocket" | "sse";

/** What the worker tells its relay about a viewer: the URL of the request it forwards. */
export interface ViewerRequest {
  dropId: string;
  relay: string;
  after: number | null;
  mode: StreamMode;
}

export const viewerUrl = (v: ViewerRequest): string => {
  const q = new URLSearchParams({ drop: v.dropId, relay: v.relay, mode: v.mode });
  if (v.after !== null) q.set("after", String(v.after));
  return `https://stock-relay.internal/viewers?${q}`;
};

export const readViewer = (url: URL): ViewerRequest => {
  const after = url.searchParams.get("after");
  return {
    dropId: url.searchParams.get("drop") ?? "",
    relay: url.searchParams.get("relay") ?? "",
    after: after === null ? null : Number(after),
    mode: url.searchParams.get("mode") === "sse" ? "sse" : "websocket",
  };
};
