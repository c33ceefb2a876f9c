import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { buyerKey } from "../../holds/buyer";
import { BuyerHeaders, CreateHoldBody, HoldSchema, type HoldView } from "../../holds/schemas";
import { placeHold } from "../../holds/verbs";
import { type AppEnv, buyerContext } from "../../http/context";
import { idempotencyKeyOf } from "../../http/idempotency";
import { problemResponses } from "../../http/openapi";
import { countDirectHold } from "../../metrics/counters";
import { IdempotencyHeaders, IdParam, jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "post",
  path: "/v1/drops/{id}/holds",
  tags: ["Holds"],
  summary: "Reserve units of a live drop for a few minutes while the buyer pays",
  description:
    "Public: no API key. `Idempotency-Key` is required; the same key and body return the same hold. " +
    "Refusals are 409 with a specific type: drop-not-started, drop-ended, sold-out, insufficient-stock, " +
    "buyer-limit-reached. A saturated drop answers 503 with Retry-After.",
  request: {
    params: IdParam("Drop id"),
    headers: BuyerHeaders.extend(IdempotencyHeaders.shape),
    body: jsonBody(CreateHoldBody),
  },
  responses: {
    201: jsonResponse("The hold, with when it expires", HoldSchema),
    ...problemResponses(400, 404, 409, 413, 415, 422, 500, 503),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const idempotencyKey = idempotencyKeyOf(c, { required: true });
  const body = c.req.valid("json");
  const { hold, replayed } = await placeHold({
    ctx: buyerContext(c),
    input: {
      dropId: c.req.valid("param").id,
      buyer: buyerKey(c.req.valid("header")),
      quantity: body.quantity,
      allowPartial: body.allow_partial,
      idempotencyKey,
    },
  });
  if (!replayed) countDirectHold(c, hold.drop_id, c.get("clock").now());
  return c.json(hold, 201, replayed ? { "idempotent-replayed": "true" } : {});
};

export const register: Register = (app) => app.openapi(route, handler);
export type CreateHoldRequest = z.input<typeof CreateHoldBody>;
export type CreateHoldResponse = HoldView;
