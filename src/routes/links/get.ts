import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import type { AppEnv } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { type Link, LinkSchema } from "../../links/schemas";
import { getLink } from "../../links/verbs";
import { IdParam, jsonResponse, type Register } from "../shared";
import { linkContext } from "./context";

export const route = createRoute({
  method: "get",
  path: "/v1/links/{id}",
  tags: ["Checkout links"],
  summary: "Get one of the creator's checkout links",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { params: IdParam("Link id") },
  responses: { 200: jsonResponse("The link", LinkSchema), ...adminRead(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await getLink({ ctx: linkContext(c), input: c.req.valid("param") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type GetLinkResponse = Link;
