import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { bearerSecurity, problemResponses } from "../../http/openapi";
import { type OverlayToken, OverlayTokenSchema, RotateOverlayTokenBody } from "../../overlay/schemas";
import { rotateOverlayToken } from "../../overlay/verbs";
import { IdParam, jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "post",
  path: "/v1/drops/{id}/overlay-token",
  tags: ["Drops"],
  summary:
    "Issue the drop's overlay URL for OBS: a new read-only token; the previous one stops working at once",
  description:
    "The token opens `GET /overlay/{drop_id}` for this drop and nothing else. Only its SHA-256 is kept, so " +
    "it is shown once; lost, rotate again. Takes no Idempotency-Key: a replay would have to store the token, " +
    "and a retry only rotates again.",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { params: IdParam("Drop id"), body: jsonBody(RotateOverlayTokenBody) },
  responses: {
    201: jsonResponse("The new token and the overlay URL that carries it", OverlayTokenSchema),
    // No 409: the route takes no Idempotency-Key, and a rotation conflicts with nothing.
    ...problemResponses(400, 401, 404, 413, 415, 422, 500),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(
    await rotateOverlayToken({
      ctx: { ...tenantContext(c), origin: new URL(c.req.url).origin },
      input: { dropId: c.req.valid("param").id, ...c.req.valid("json") },
    }),
    201,
  );

export const register: Register = (app) => app.openapi(route, handler);
export type RotateOverlayTokenRequest = z.input<typeof RotateOverlayTokenBody>;
export type RotateOverlayTokenResponse = OverlayToken;
