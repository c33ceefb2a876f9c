import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/context";
import { problemResponses } from "../../http/openapi";
import { sha256Hex } from "../../lib/crypto";
import embedScript from "../../surfaces/generated/embed";
import type { Register } from "../shared";

/**
 * Caching: creators paste one stable URL, so it cannot be immutable. Five minutes fresh, then a day of
 * stale-while-revalidate: a fix reaches every page within minutes while no buyer ever waits on a
 * revalidation; the ETag (the script's hash) turns each revalidation into a 304 of no body.
 */
export const EMBED_CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=86400";

let etag: Promise<string> | undefined;

export const route = createRoute({
  method: "get",
  path: "/embed.js",
  tags: ["Pages"],
  summary: "The embeddable checkout widget: one script for creators' pages (docs/widget.md)",
  description:
    'Turns `<a data-cc-checkout href=".../l/lnk_…">` links and `<cc-checkout link="lnk_…">` elements into ' +
    "buttons opening the hosted checkout page in an overlay. Under 5 KB gzipped. " +
    `\`Cache-Control: ${EMBED_CACHE_CONTROL}\` with an ETag; \`If-None-Match\` answers 304.`,
  request: {
    headers: z.object({
      "if-none-match": z.string().optional().openapi({ description: "A previous ETag." }),
    }),
  },
  responses: {
    200: { description: "The script", content: { "text/javascript": { schema: z.string() } } },
    304: { description: "Not modified: the cached copy is current" },
    ...problemResponses(500),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  etag ??= sha256Hex(embedScript).then((hash) => `"${hash.slice(0, 32)}"`);
  const tag = await etag;
  const headers = {
    "cache-control": EMBED_CACHE_CONTROL,
    etag: tag,
    // A static script anyone may load: no credentials, nothing per creator in it.
    "access-control-allow-origin": "*",
    "cross-origin-resource-policy": "cross-origin",
    "x-content-type-options": "nosniff",
  };
  if (
    c.req
      .header("if-none-match")
      ?.split(",")
      .some((t) => t.trim().replace(/^W\//, "") === tag)
  ) {
    return c.body(null, 304, headers);
  }
  return c.body(embedScript, 200, { ...headers, "content-type": "text/javascript; charset=utf-8" });
};

export const register: Register = (app) => app.openapi(route, handler);
