import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { gateContext } from "../../buyers/http";
import { GateHeaders } from "../../buyers/schemas";
import { requestBuyerKey } from "../../drops/gate";
import { BuyerHeaders, HoldSchema, type HoldView } from "../../holds/schemas";
import { releaseHold } from "../../holds/verbs";
import { type AppEnv, buyerContext } from "../../http/context";
import { problemResponses } from "../../http/openapi";
import { jsonResponse, type Register } from "../shared";
import { HoldParams } from "./get";

export const route = createRoute({
  method: "delete",
  path: "/v1/drops/{id}/holds/{holdId}",
  tags: ["Holds"],
  summary: "Release a hold: its units go back on sale at once. Releasing again returns the same hold",
  request: {
    params: HoldParams,
    headers: BuyerHeaders.partial().extend(GateHeaders.pick({ "buyer-token": true }).shape),
  },
  responses: {
    200: jsonResponse("The released (or already expired) hold", HoldSchema),
    ...problemResponses(401, 404, 409, 422, 500, 503),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { id, holdId } = c.req.valid("param");
  const hold = await releaseHold({
    ctx: buyerContext(c),
    input: { dropId: id, holdId, buyer: await requestBuyerKey(await gateContext(c), c.req.valid("header")) },
  });
  return c.json(hold, 200);
};

export const register: Register = (app) => app.openapi(route, handler);
export type ReleaseHoldResponse = HoldView;
