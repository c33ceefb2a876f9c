import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/context";
import { pageOf } from "../../http/pagination";
import { requireOperatorKey } from "../../operator/auth";
import { CreatorListQuery, CreatorSchema } from "../../operator/schemas";
import { listCreators } from "../../operator/verbs";
import { jsonResponse, type Register } from "../shared";
import { operatorContext, operatorRead, operatorSecurity, TAG } from "./shared";

const Page = pageOf(CreatorSchema).openapi("CreatorList");

export const route = createRoute({
  method: "get",
  path: "/v1/operator/creators",
  tags: [TAG],
  summary: "List the platform's creators, newest first (filter by status)",
  security: operatorSecurity,
  middleware: [requireOperatorKey] as const,
  request: { query: CreatorListQuery },
  responses: { 200: jsonResponse("A page of creators", Page), ...operatorRead(422) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await listCreators({ ctx: operatorContext(c), input: c.req.valid("query") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type ListCreatorsResponse = z.infer<typeof Page>;
