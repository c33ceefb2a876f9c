import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/context";
import { requireOperatorKey } from "../../operator/auth";
import { CreatorSchema, type CreatorView } from "../../operator/schemas";
import { getCreator } from "../../operator/verbs";
import { IdParam, jsonResponse, type Register } from "../shared";
import { operatorContext, operatorRead, operatorSecurity, TAG } from "./shared";

export const route = createRoute({
  method: "get",
  path: "/v1/operator/creators/{id}",
  tags: [TAG],
  summary: "Read a creator: its standing, platform fee and payout account",
  security: operatorSecurity,
  middleware: [requireOperatorKey] as const,
  request: { params: IdParam("Creator id") },
  responses: { 200: jsonResponse("The creator", CreatorSchema), ...operatorRead(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await getCreator({ ctx: operatorContext(c), input: c.req.valid("param") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type GetCreatorResponse = CreatorView;
