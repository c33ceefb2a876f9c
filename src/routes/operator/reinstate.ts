import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { NoFieldsBody } from "../../experiments/schemas";
import type { AppEnv } from "../../http/context";
import { requireOperatorKey } from "../../operator/auth";
import { CreatorSchema, type CreatorView } from "../../operator/schemas";
import { reinstateCreator } from "../../operator/verbs";
import { IdParam, jsonResponse, type Register } from "../shared";
import { operatorContext, operatorSecurity, operatorWrite, TAG } from "./shared";

// Optional: the validator runs only when a JSON body is sent, and then it must be `{}`.
const noFields = { required: false, content: { "application/json": { schema: NoFieldsBody } } };

export const route = createRoute({
  method: "post",
  path: "/v1/operator/creators/{id}/reinstate",
  tags: [TAG],
  summary: "Reinstate a suspended creator: its keys and buyer routes work again",
  description: "Clears the suspension's time and reason. A creator that is not suspended is 409.",
  security: operatorSecurity,
  middleware: [requireOperatorKey] as const,
  request: { params: IdParam("Creator id"), body: noFields },
  responses: { 200: jsonResponse("The reinstated creator", CreatorSchema), ...operatorWrite(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await reinstateCreator({ ctx: operatorContext(c), input: c.req.valid("param") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type ReinstateCreatorResponse = CreatorView;
