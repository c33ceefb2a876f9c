/**
 * GET /dashboard/orders.csv: the orders table's CSV export for the dashboard's session, the same
 * streamed export as GET /v1/orders.csv (src/orders/export.ts) with the same query; only the
 * credential differs (the session cookie, never an API key).
 */
import { type OpenAPIHono, type RouteConfig, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { dashboardSession, sessionContext, signedOut } from "../../dashboard/auth";
import { invalid } from "../../errors";
import type { AppEnv } from "../../http/context";
import { problemResponses } from "../../http/openapi";
import { ExportOrdersQuery, exportResponse } from "../../orders/export";

const Query = z.strictObject(ExportOrdersQuery.shape);

async function handler(c: Context<AppEnv>): Promise<Response> {
  const session = await dashboardSession(c);
  if (session === undefined) throw signedOut();
  const parsed = Query.safeParse(c.req.query());
  if (!parsed.success) {
    throw invalid(
      parsed.error.issues.map((issue) => ({
        in: "query" as const,
        path: `/${issue.path.join("/")}`,
        message:
          issue.code === "unrecognized_keys" ? `unknown parameter ${issue.keys.join(", ")}` : issue.message,
      })),
    );
  }
  return exportResponse({ ctx: sessionContext(c, session), input: parsed.data });
}

const route = {
  method: "get",
  path: "/dashboard/orders.csv",
  tags: ["Dashboard"],
  summary: "The dashboard's orders as CSV (the session's creator), streamed",
  description:
    "GET /v1/orders.csv for the dashboard session: the same query, columns and streaming. Authenticated " +
    "by the dashboard session cookie only; without a live session, 401.",
  request: { query: ExportOrdersQuery },
  responses: {
    200: {
      description: "The orders as CSV (header row first), as an attachment",
      content: { "text/csv; charset=utf-8": { schema: z.string() } },
    },
    ...problemResponses(401, 422, 500),
  },
} satisfies RouteConfig;

export function registerDashboardExport(app: OpenAPIHono<AppEnv>): void {
  app.get(route.path, handler);
  app.openAPIRegistry.registerPath(route);
}
