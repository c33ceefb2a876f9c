import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { NoFieldsBody } from "../../experiments/schemas";
import { requireApiKey } from "../../http/auth";
import type { AppEnv } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { type Link, LinkSchema } from "../../links/schemas";
import { archiveLink } from "../../links/verbs";
import { IdempotencyHeaders, IdParam, jsonResponse, type Register } from "../shared";
import { linkContext } from "./context";

// Optional: the validator runs only when a JSON body is sent, and then it must be `{}`.
const noFields = { required: false, content: { "application/json": { schema: NoFieldsBody } } };

export const route = createRoute({
  method: "post",
  path: "/v1/links/{id}/archive",
  tags: ["Checkout links"],
  summary: "Archive a checkout link: its page answers 410 from now on; archiving again changes nothing",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(200)] as const,
  request: { params: IdParam("Link id"), headers: IdempotencyHeaders, body: noFields },
  responses: { 200: jsonResponse("The archived link", LinkSchema), ...adminWrite(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await archiveLink({ ctx: linkContext(c), input: c.req.valid("param") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type ArchiveLinkResponse = Link;
