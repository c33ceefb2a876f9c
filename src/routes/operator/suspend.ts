import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/context";
import { requireOperatorKey } from "../../operator/auth";
import { CreatorSchema, type CreatorView, SuspendCreatorBody } from "../../operator/schemas";
import { suspendCreator } from "../../operator/verbs";
import { IdParam, jsonBody, jsonResponse, type Register } from "../shared";
import { operatorContext, operatorSecurity, operatorWrite, TAG } from "./shared";

export const route = createRoute({
  method: "post",
  path: "/v1/operator/creators/{id}/suspend",
  tags: [TAG],
  summary: "Suspend a creator: its keys and buyer routes answer 403 creator-suspended",
  description:
    "Nothing is deleted: offers, orders, members and keys stay, and reinstating restores everything. " +
    "Its keys (every kind) are refused with 403 creator-suspended, and so are its quotes, holds, queue, " +
    "checkouts and hosted link pages; members keep the entitlements they hold. A creator already " +
    "suspended is 409 (its first suspension's time and reason are kept), so a retry cannot restamp it.",
  security: operatorSecurity,
  middleware: [requireOperatorKey] as const,
  request: { params: IdParam("Creator id"), body: jsonBody(SuspendCreatorBody) },
  responses: { 200: jsonResponse("The suspended creator", CreatorSchema), ...operatorWrite(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(
    await suspendCreator({
      ctx: operatorContext(c),
      input: { id: c.req.valid("param").id, reason: c.req.valid("json").reason },
    }),
    200,
  );

export const register: Register = (app) => app.openapi(route, handler);
export type SuspendCreatorRequest = z.input<typeof SuspendCreatorBody>;
export type SuspendCreatorResponse = CreatorView;
