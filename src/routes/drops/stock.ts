import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { StockSchema, type StockView } from "../../holds/schemas";
import { readStock, STOCK_CACHE_MS } from "../../holds/verbs";
import { type AppEnv, buyerContext } from "../../http/context";
import { problemResponses } from "../../http/openapi";
import { IdParam, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/drops/{id}/stock",
  tags: ["Holds"],
  summary: "Live stock for overlays to poll: public, and at most one second old",
  description: `Public: no API key. Figures may come from this edge location's copy for up to ${STOCK_CACHE_MS} ms; \`as_of\` and the \`Age\` header say how old they are.`,
  request: { params: IdParam("Drop id") },
  responses: { 200: jsonResponse("The drop's counters", StockSchema), ...problemResponses(404, 500, 503) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { stock, ageMs } = await readStock({
    ctx: buyerContext(c),
    input: { dropId: c.req.valid("param").id },
  });
  return c.json(stock, 200, {
    "cache-control": `public, max-age=${Math.ceil(STOCK_CACHE_MS / 1000)}`,
    age: String(Math.floor(ageMs / 1000)),
  });
};

export const register: Register = (app) => app.openapi(route, handler);
export type StockResponse = StockView;
