import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, buyerContext } from "../../http/context";
import { problemResponses } from "../../http/openapi";
import { openOverlay } from "../../overlay/verbs";
import { overlayHeaders } from "../../surfaces/overlay/headers";
import { overlayPage } from "../../surfaces/overlay/page";
import { IdParam, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/overlay/{id}",
  tags: ["Pages"],
  summary: "A drop's live-stream overlay: transparent 1920×1080 page for an OBS browser source",
  description:
    "Stock left, a countdown to the drop's start or end, a just-bought ticker and a QR code to its checkout " +
    "link, kept live over the stock stream. Opened by the token from `POST /v1/drops/{id}/overlay-token`; " +
    "without a valid token for this drop, 404, the same answer whatever was wrong. `?debug=1` exposes " +
    "`window.ccOverlay` for tests.",
  request: {
    params: IdParam("Drop id"),
    query: z.object({
      token: z.string().optional().openapi({ example: "ovl_…", description: "The drop's overlay token." }),
      debug: z.string().optional().openapi({ description: "`1`: expose `window.ccOverlay` (seqs, state)." }),
    }),
  },
  responses: {
    200: { description: "The overlay page", content: { "text/html": { schema: z.string() } } },
    ...problemResponses(404, 500, 503),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const origin = new URL(c.req.url).origin;
  const view = await openOverlay({
    ctx: buyerContext(c),
    input: { dropId: c.req.valid("param").id, token: c.req.valid("query").token, origin },
  });
  return c.html(overlayPage(view), 200, await overlayHeaders(origin));
};

export const register: Register = (app) => app.openapi(route, handler);
