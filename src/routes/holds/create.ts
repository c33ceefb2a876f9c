import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { gateContext } from "../../buyers/http";
import { GateHeaders } from "../../buyers/schemas";
import { gateHold } from "../../drops/gate";
import { BuyerHeaders, CreateHoldBody, HoldSchema, type HoldView } from "../../holds/schemas";
import { placeHold } from "../../holds/verbs";
import { optionalApiKey } from "../../http/auth";
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
    "buyer-limit-reached. A buyer who placed 20 holds on the drop within a minute is 429 rate-limited " +
    "with Retry-After, counted exactly in the drop's object. A saturated drop answers 503 with Retry-After. The buyer is the Buyer-Token's " +
    "when one is sent (a bad one is 401), else Buyer-Id's; a drop whose buyer_proof is token or pow " +
    "refuses Buyer-Id alone with 401 buyer-token-required, and while its queue is on and it is live, a " +
    "hold without this buyer's Admission-Token for it is 403 admission-required (docs/buyer-tokens.md). " +
    "A creator's publishable key (`cc_pk_…`) may be sent: another creator's drop is then 404. A suspended " +
    "creator's drop is 403 creator-suspended.",
  middleware: [optionalApiKey] as const,
  request: {
    params: IdParam("Drop id"),
    headers: BuyerHeaders.partial().extend(GateHeaders.shape).extend(IdempotencyHeaders.shape),
    body: jsonBody(CreateHoldBody),
  },
  responses: {
    201: jsonResponse("The hold, with when it expires", HoldSchema),
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const idempotencyKey = idempotencyKeyOf(c, { required: true });
  const body = c.req.valid("json");
  const dropId = c.req.valid("param").id;
  const owner = c.get("caller")?.creatorId ?? null;
  const gate = await gateHold(await gateContext(c), dropId, c.req.valid("header"), owner);
  const { hold, replayed } = await placeHold({
    ctx: buyerContext(c),
    input: {
      dropId,
      buyer: gate.buyerKey,
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
