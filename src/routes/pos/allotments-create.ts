import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, buyerContext } from "../../http/context";
import { problemResponses } from "../../http/openapi";
import { AllotmentSchema, claimAllotment } from "../../pos/allotments";
import { jsonResponse, type Register } from "../shared";
import { signedBody } from "./signed-body";

export const route = createRoute({
  method: "post",
  path: "/v1/pos/allotments",
  tags: ["Point of sale"],
  summary: "A device claims units of a drop while online, to sell them offline",
  description:
    "The body is a compact JWS (`Content-Type: application/jose`), EdDSA, signed with the device's key " +
    "under its id as `kid`; the payload is `{claim_id, signed_at, drop_id, quantity, allow_partial?, hours?}`. " +
    "The units leave the drop's available stock like a long hold, for `hours` (at most, and by default, the " +
    "device's offline window). `claim_id` is the idempotency key: sending the same claim again answers the " +
    "same allotment (200), a different claim under it 422. Drop items sold offline name the allotment's id; " +
    "unused units return when the device releases it in a batch, the creator releases it, or it expires.",
  responses: {
    200: jsonResponse("The allotment this claim made earlier", AllotmentSchema),
    201: jsonResponse("The new allotment", AllotmentSchema),
    ...problemResponses(401, 403, 404, 409, 413, 415, 422, 500, 503),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { allotment, created } = await claimAllotment(buyerContext(c), await signedBody(c));
  return c.json(allotment, created ? 201 : 200);
};

export const register: Register = (app) => app.openapi(route, handler);
