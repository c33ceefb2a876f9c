/**
 * The dashboard page's query string: the KPI range (`from`, `to`, UTC dates; default the last 30
 * days), and the orders table's filters as its GET form sends them (empty fields mean "any"). Strict:
 * an unknown parameter or a wrong value answers 422 problem+json, as the API does.
 */
import { z } from "@hono/zod-openapi";
import { orderSources, orderStatuses } from "../db/schema";
import { invalid } from "../errors";
import type { MetricInput } from "../metrics/range";
import { type ListOrdersInput, ListOrdersQuery } from "../orders/reads";

const DAY_MS = 86_400_000;
const Day = z.iso.date();
const blank = (v: unknown) => (v === "" ? undefined : v);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blank, schema.optional());

export const DashboardQuery = z.strictObject({
  from: optional(Day).openapi({
    description: "First day of the KPI range (UTC), inclusive; default 30 days ago.",
  }),
  to: optional(Day).openapi({ description: "Last day of the KPI range (UTC), inclusive; default today." }),
  currency: optional(z.string().regex(/^[A-Z]{3}$/)).openapi({ description: "Money figures' currency." }),
  status: optional(z.enum(orderStatuses)).openapi({ description: "Orders: only this status." }),
  source: optional(z.enum(orderSources)).openapi({ description: "Orders: only this source." }),
  drop_id: optional(z.string().min(1).max(64)).openapi({ description: "Orders: only this drop." }),
  created_from: optional(Day).openapi({ description: "Orders created on or after this day (UTC)." }),
  created_to: optional(Day).openapi({ description: "Orders created on or before this day (UTC)." }),
  cursor: optional(z.string().max(200)).openapi({ description: "The orders table's next page." }),
});
export type DashboardInput = z.infer<typeof DashboardQuery>;

export interface DashboardRequest {
  /** The form's own values, to fill the form back in and build links. */
  input: DashboardInput;
  metrics: MetricInput;
  /** The range as shown: first and last day, inclusive. */
  days: { first: string; last: string };
  orders: ListOrdersInput;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const nextDay = (date: string) => day(Date.parse(`${date}T00:00:00Z`) + DAY_MS);
const midnight = (date: string) => `${date}T00:00:00Z`;

export const ORDERS_PAGE = 25;

export function parseDashboardQuery(query: Record<string, string>, now: number): DashboardRequest {
  const parsed = DashboardQuery.safeParse(query);
  if (!parsed.success) {
    throw invalid(
      parsed.error.issues.map((issue) => ({
        in: "query" as const,
        path: issue.path.length === 0 ? "" : String(issue.path[0]),
        message:
          issue.code === "unrecognized_keys" ? `unknown parameter ${issue.keys.join(", ")}` : issue.message,
      })),
    );
  }
  const input = parsed.data;
  const last = input.to ?? day(now);
  const first = input.from ?? day(Date.parse(midnight(last)) - 29 * DAY_MS);
  if (first > last) throw invalid([{ in: "query", path: "from", message: "must not be after `to`" }]);
  const orders = ListOrdersQuery.parse({
    limit: String(ORDERS_PAGE),
    ...(input.cursor === undefined ? {} : { cursor: input.cursor }),
    ...(input.status === undefined ? {} : { status: input.status }),
    ...(input.source === undefined ? {} : { source: input.source }),
    ...(input.drop_id === undefined ? {} : { drop_id: input.drop_id }),
    ...(input.created_from === undefined ? {} : { created_from: midnight(input.created_from) }),
    ...(input.created_to === undefined ? {} : { created_to: midnight(nextDay(input.created_to)) }),
  });
  return {
    input,
    metrics: {
      from: first,
      to: nextDay(last),
      ...(input.currency === undefined ? {} : { currency: input.currency }),
    },
    days: { first, last },
    orders,
  };
}

/**
 * The orders filters as the export's query string (GET /dashboard/orders.csv takes GET /v1/orders.csv's
 * names). The export needs a range: the table's created range, else the KPI range.
 */
export function exportQuery(request: DashboardRequest): URLSearchParams {
  const { orders } = request;
  const q = new URLSearchParams({
    created_from: orders.created_from ?? midnight(request.metrics.from),
    created_to: orders.created_to ?? midnight(request.metrics.to),
  });
  for (const key of ["status", "source", "drop_id"] as const) {
    const value = orders[key];
    if (value !== undefined) q.set(key, value);
  }
  return q;
}
