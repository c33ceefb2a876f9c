import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { gateContext } from "../../buyers/http";
import { GateHeaders } from "../../buyers/schemas";
import { requestBuyerKey } from "../../drops/gate";
import { BuyerHeaders, HoldSchema, type HoldView } from "../../holds/schemas";
import { getHold } from "../../holds/verbs";
import { type AppEnv, buyerContext } from "../../http/context";
import { problemResponses } from "../../http/openapi";
import { jsonResponse, type Register } from "../shared";

export const HoldParams = z.object({
  id: z.string().openapi({ param: { name: "id", in: "path" }, description: "Drop id" }),
  holdId: z.string().openapi({ param: { name: "holdId", in: "path" }, description: "Hold id" }),
});

export const route = createRoute({
  method: "get",
  path: "/v1/drops/{id}/holds/{holdId}",
  tags: ["Holds"],
  summary: "Read a hold; only the buyer who holds it sees it (anyone else gets 404)",
  request: {
    params: HoldParams,
    headers: BuyerHeaders.partial().extend(GateHeaders.pick({ "buyer-token": true }).shape),
  },
  responses: { 200: jsonResponse("The hold", HoldSchema), ...problemResponses(401, 404, 422, 500, 503) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { id, holdId } = c.req.valid("param");
  const hold = await getHold({
    ctx: buyerContext(c),
    input: { dropId: id, holdId, buyer: await requestBuyerKey(await gateContext(c), c.req.valid("header")) },
  });
  return c.json(hold, 200);
};

export const register: Register = (app) => app.openapi(route, handler);
export type GetHoldResponse = HoldView;
