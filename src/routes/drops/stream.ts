import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { AppError } from "../../errors";
import { type AppEnv, buyerContext } from "../../http/context";
import { problemResponses } from "../../http/openapi";
import { queryInt } from "../../http/query";
import { PUBLISH_EVERY_MS, RING_SIZE } from "../../stream/messages";
import { VIEWER_KEY } from "../../stream/shards";
import { openStream } from "../../stream/verbs";
import type { StreamMode } from "../../stream/viewer";
import { IdParam, type Register } from "../shared";

const MAX_SEQ = 1e15;

export const StreamQuery = z.object({
  after: queryInt({ min: 0, max: MAX_SEQ })
    .optional()
    .openapi({
      description:
        "The last `seq` the viewer holds: the stream starts with every message after it, in order, or " +
        "with a fresh `snapshot` when the relay no longer keeps them all.",
    }),
  viewer: z
    .string()
    .regex(VIEWER_KEY, "8 to 128 characters: letters, digits, - and _")
    .optional()
    .openapi({
      description:
        "The viewer's own stable random key (keep it on the device): picks the viewer's relay, so a " +
        "reconnect lands where its missed messages are kept. Without it, the connecting IP picks.",
    }),
});

export const StreamHeaders = z.object({
  "last-event-id": z
    .string()
    .regex(/^[0-9]{1,15}$/, "Must be a `seq` in plain decimal digits")
    .optional()
    .openapi({ description: "SSE resume (sent by EventSource on reconnect): wins over `after`." }),
});

export const route = createRoute({
  method: "get",
  path: "/v1/drops/{id}/stream",
  tags: ["Holds"],
  summary: "The drop's live stock: a WebSocket, or server-sent events",
  description:
    "Public: no API key. Send `Upgrade: websocket` for a WebSocket, or `Accept: text/event-stream` for " +
    "SSE (`id:` is the `seq`, `event:` the message type). Each message is a `StockMessage` " +
    "(src/contract/stream.ts): a `snapshot` first, then coalesced `update`s, at most one per " +
    `${PUBLISH_EVERY_MS} ms and only on change, each naming the \`seq\` before it (\`prev_seq\`). ` +
    `A viewer resumes with \`after\` (or \`Last-Event-ID\`); relays keep the last ${RING_SIZE} messages. ` +
    "Send the text `ping` on the socket to get `pong`. A browser's `Origin` must be one the drop's " +
    "creator allows (403 otherwise); the cached poll, GET /v1/drops/{id}/stock, carries the same `seq`.",
  request: { params: IdParam("Drop id"), query: StreamQuery, headers: StreamHeaders },
  responses: {
    101: { description: "Switching to a WebSocket: `StockMessage` JSON text frames" },
    200: {
      description: "An event stream of `StockMessage`s",
      content: { "text/event-stream": { schema: z.string() } },
    },
    ...problemResponses(400, 403, 404, 422, 500, 503),
  },
});

/** What the client asked for: a WebSocket upgrade, an event stream, or neither. */
export function streamModeOf(headers: Headers): StreamMode | null {
  if (headers.get("upgrade")?.toLowerCase() === "websocket") return "websocket";
  if (/(^|,)\s*text\/event-stream/i.test(headers.get("accept") ?? "")) return "sse";
  return null;
}

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const { after, viewer } = c.req.valid("query");
  const lastEventId = c.req.valid("header")["last-event-id"];
  const mode = streamModeOf(c.req.raw.headers);
  if (mode === null)
    throw new AppError(
      "malformed_request",
      "Ask for a WebSocket (`Upgrade: websocket`) or an event stream (`Accept: text/event-stream`); " +
        "GET /v1/drops/{id}/stock is the cached poll.",
    );
  return openStream({
    ctx: { ...buyerContext(c), relays: c.env.STOCK_RELAY, selfOrigin: new URL(c.req.url).origin },
    input: {
      dropId: id,
      mode,
      after: lastEventId !== undefined ? Number(lastEventId) : (after ?? null),
      viewerKey: viewer ?? c.req.header("cf-connecting-ip") ?? "anonymous",
      origin: c.req.header("origin"),
      request: c.req.raw,
    },
  });
};

export const register: Register = (app) => app.openapi(route, handler);
export type StreamResponse = Response;
