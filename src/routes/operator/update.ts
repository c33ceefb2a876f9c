import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/context";
import { requireOperatorKey } from "../../operator/auth";
import { CreatorSchema, type CreatorView, UpdateCreatorBody } from "../../operator/schemas";
import { updateCreator } from "../../operator/verbs";
import { IdParam, jsonBody, jsonResponse, type Register } from "../shared";
import { operatorContext, operatorSecurity, operatorWrite, TAG } from "./shared";

export const route = createRoute({
  method: "patch",
  path: "/v1/operator/creators/{id}",
  tags: [TAG],
  summary: "Change a creator's name or platform fee",
  description:
    "Sets what is sent: `platform_fee_bps` 0 to 5000, or null for none. Repeating it changes nothing " +
    "more, so it needs no Idempotency-Key. A new fee applies to payments created from now on.",
  security: operatorSecurity,
  middleware: [requireOperatorKey] as const,
  request: { params: IdParam("Creator id"), body: jsonBody(UpdateCreatorBody) },
  responses: { 200: jsonResponse("The creator", CreatorSchema), ...operatorWrite(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(
    await updateCreator({
      ctx: operatorContext(c),
      input: { ...c.req.valid("json"), id: c.req.valid("param").id },
    }),
    200,
  );

export const register: Register = (app) => app.openapi(route, handler);
export type UpdateCreatorRequest = z.input<typeof UpdateCreatorBody>;
export type UpdateCreatorResponse = CreatorView;
