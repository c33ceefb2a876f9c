import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import type { AppEnv } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { CreateLinkBody, type Link, LinkSchema } from "../../links/schemas";
import { createLink } from "../../links/verbs";
import { IdempotencyHeaders, jsonBody, jsonResponse, type Register } from "../shared";
import { linkContext } from "./context";

export const route = createRoute({
  method: "post",
  path: "/v1/links",
  tags: ["Checkout links"],
  summary: "Create a checkout link: a hosted page at /l/{id} selling an offer or a drop on fixed terms",
  description:
    "The offer, drop and coupon must be the creator's (another creator's offer or drop is 404). An offer " +
    "with an open or upcoming drop is linked only with that `drop_id` (422 otherwise, as a quote refuses); " +
    "an archived offer or an ended drop is 409; an unknown coupon, an unpriced currency or a success URL " +
    "that is not https is 422.",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(201)] as const,
  request: { headers: IdempotencyHeaders, body: jsonBody(CreateLinkBody) },
  responses: { 201: jsonResponse("The new link", LinkSchema), ...adminWrite(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await createLink({ ctx: linkContext(c), input: c.req.valid("json") }), 201);

export const register: Register = (app) => app.openapi(route, handler);
export type CreateLinkRequest = z.input<typeof CreateLinkBody>;
export type CreateLinkResponse = Link;
