import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { DropSchema } from "../../drops/schemas";
import { listDrops } from "../../drops/verbs";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { PageQuerySchema, pageOf } from "../../http/pagination";
import { jsonResponse, type Register } from "../shared";

const Query = PageQuerySchema.extend({
  offer_id: z.string().max(64).optional().openapi({ description: "Only drops of this offer" }),
});
const Page = pageOf(DropSchema).openapi("DropList");

export const route = createRoute({
  method: "get",
  path: "/v1/drops",
  tags: ["Drops"],
  summary: "List the creator's drops, newest first",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { query: Query },
  responses: { 200: jsonResponse("A page of drops", Page), ...adminRead(422) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await listDrops({ ctx: tenantContext(c), input: c.req.valid("query") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type ListDropsResponse = z.infer<typeof Page>;
