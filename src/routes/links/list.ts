import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import type { AppEnv } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { pageOf } from "../../http/pagination";
import { LinkListQuery, LinkSchema } from "../../links/schemas";
import { listLinks } from "../../links/verbs";
import { jsonResponse, type Register } from "../shared";
import { linkContext } from "./context";

const Page = pageOf(LinkSchema).openapi("CheckoutLinkList");

export const route = createRoute({
  method: "get",
  path: "/v1/links",
  tags: ["Checkout links"],
  summary: "List the creator's checkout links, newest first",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { query: LinkListQuery },
  responses: { 200: jsonResponse("A page of links", Page), ...adminRead(422) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await listLinks({ ctx: linkContext(c), input: c.req.valid("query") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type ListLinksResponse = z.infer<typeof Page>;
