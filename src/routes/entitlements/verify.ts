import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { IntrospectBody, type Introspection, IntrospectionSchema } from "../../entitlements/schemas";
import { introspect } from "../../entitlements/verbs";
import { type AppEnv, tokenContext } from "../../http/context";
import { problemResponses } from "../../http/openapi";
import { jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "post",
  path: "/v1/entitlements/verify",
  tags: ["Entitlements"],
  summary: "Introspect an entitlement token, for surfaces without a JWT library",
  description:
    "Public and read-only. Runs the checks the exported verifier runs (EdDSA only, `typ`, issuer, the " +
    "audience you name, a known unretired key, time with 30 s tolerance) and also the member's current " +
    "token version, so a token minted before a revocation is refused at once (410 token-revoked). " +
    "Expired: 410 token-expired. Anything else: 422 token-invalid, with the reason in `errors[0].message`.",
  request: { body: jsonBody(IntrospectBody) },
  responses: {
    200: jsonResponse("The token is valid: what it grants", IntrospectionSchema),
    ...problemResponses(400, 410, 413, 415, 422, 500),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await introspect({ ctx: await tokenContext(c), input: c.req.valid("json") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type IntrospectRequest = z.input<typeof IntrospectBody>;
export type IntrospectResponse = Introspection;
