import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/context";
import { idempotencyKeyOf } from "../../http/idempotency";
import { operatorKeyOf, requireOperatorKey } from "../../operator/auth";
import { requestHashOf } from "../../operator/replay";
import { CreateCreatorBody, CreatedCreatorSchema, type CreatedCreatorView } from "../../operator/schemas";
import { createCreator } from "../../operator/verbs";
import { IdempotencyHeaders, jsonBody, jsonResponse, type Register } from "../shared";
import { operatorContext, operatorSecurity, operatorWrite, TAG } from "./shared";

export const route = createRoute({
  method: "post",
  path: "/v1/operator/creators",
  tags: [TAG],
  summary: "Create a creator and its first secret key",
  description:
    "The platform operator's key only. Answers the creator and its first secret key (`cc_sk_…`, shown in " +
    "this answer only). With `Idempotency-Key` a retry within 24 hours replays the same creator and key, " +
    "secret included (sealed under the operator key that made it); the same key with another body is 422.",
  security: operatorSecurity,
  middleware: [requireOperatorKey] as const,
  request: { headers: IdempotencyHeaders, body: jsonBody(CreateCreatorBody) },
  responses: {
    201: jsonResponse("The creator and its first secret key", CreatedCreatorSchema),
    ...operatorWrite(),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const key = idempotencyKeyOf(c, { required: false });
  const operatorKey = operatorKeyOf(c.req.raw);
  if (operatorKey === undefined) throw new Error("the operator key was not checked before the handler");
  const idempotency =
    key === undefined
      ? undefined
      : {
          key,
          operatorKey,
          requestHash: await requestHashOf(c.req.method, new URL(c.req.url).pathname, await c.req.text()),
        };
  const { created, replayed } = await createCreator({
    ctx: operatorContext(c),
    input: { ...c.req.valid("json"), idempotency },
  });
  return c.json(created, 201, replayed ? { "idempotent-replayed": "true" } : {});
};

export const register: Register = (app) => app.openapi(route, handler);
export type CreateCreatorRequest = z.input<typeof CreateCreatorBody>;
export type CreateCreatorResponse = CreatedCreatorView;
