import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import type { AppEnv } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { type ApiKeyWithSecret, ApiKeyWithSecretSchema, RotateApiKeyBody } from "../../keys/schemas";
import { rotateKey } from "../../keys/verbs";
import { IdempotencyHeaders, IdParam, jsonBody, jsonResponse, type Register } from "../shared";
import { keyContext, TAG, withSecret } from "./shared";

export const route = createRoute({
  method: "post",
  path: "/v1/api-keys/{id}/rotate",
  tags: [TAG],
  summary:
    "Rotate an API key: a new key with the same name, kind and scopes; the old one works for the overlap",
  description:
    "The old key gets `expires_at` (now + `overlap_seconds`, 24 hours by default, 0 for at once) and " +
    "`replaced_by`, and is refused from then on. A revoked, expired or already rotated key is 409.",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(201, { replay: withSecret })] as const,
  request: { params: IdParam("API key id"), headers: IdempotencyHeaders, body: jsonBody(RotateApiKeyBody) },
  responses: {
    201: jsonResponse("The new key and its secret", ApiKeyWithSecretSchema),
    ...adminWrite(404),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(
    await rotateKey({ ctx: keyContext(c), input: { ...c.req.valid("param"), body: c.req.valid("json") } }),
    201,
  );

export const register: Register = (app) => app.openapi(route, handler);
export type RotateApiKeyRequest = z.input<typeof RotateApiKeyBody>;
export type RotateApiKeyResponse = ApiKeyWithSecret;
