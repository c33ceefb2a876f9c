import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { EXPORT_COLUMNS, ExportOrdersQuery, exportResponse, MAX_EXPORT_DAYS } from "../../orders/export";
import type { Register } from "../shared";

export const route = createRoute({
  method: "get",
  // Beside /v1/orders (whose filters it takes), not under /v1/orders/: a static segment next to
  // /v1/orders/{id}/… would push every request off Hono's RegExpRouter.
  path: "/v1/orders.csv",
  tags: ["Orders"],
  summary: "Export the creator's orders in a date range as CSV, streamed",
  description:
    `\`created_from\` (inclusive) and \`created_to\` (exclusive) are required, at most ${MAX_EXPORT_DAYS} ` +
    "days apart; `status`, `offer_id`, `drop_id`, `member_id` and `source` narrow it as they narrow " +
    "GET /v1/orders. Rows are oldest first, written as D1 pages are read, so any range streams in flat " +
    "memory. RFC 4180 quoting; a text cell starting with = + - @ tab or CR is prefixed with `'`. Times are " +
    "UTC ISO 8601; money is minor units plus `currency`, with `amount_total_decimal` beside it. Shipping " +
    "and fulfilment columns are empty for digital orders. A bad range is a 422 before anything is sent; a " +
    "failure after the 200 ends the body abruptly (a truncated download), never a short file that looks " +
    `whole. Columns: ${EXPORT_COLUMNS.join(", ")}.`,
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { query: ExportOrdersQuery },
  responses: {
    200: {
      description: "The orders as CSV (header row first), as an attachment",
      headers: z.object({
        "content-disposition": z
          .string()
          .openapi({ example: "attachment; filename=orders-2026-01-01-2026-02-01.csv" }),
      }),
      content: { "text/csv; charset=utf-8": { schema: z.string() } },
    },
    ...adminRead(422),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  exportResponse({ ctx: tenantContext(c), input: c.req.valid("query") });

export const register: Register = (app) => app.openapi(route, handler);
export type ExportOrdersResponse = Response;
