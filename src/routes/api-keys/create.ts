import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import type { AppEnv } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { type ApiKeyWithSecret, ApiKeyWithSecretSchema, CreateApiKeyBody } from "../../keys/schemas";
import { createKey } from "../../keys/verbs";
import { IdempotencyHeaders, jsonBody, jsonResponse, type Register } from "../shared";
import { keyContext, TAG, withSecret } from "./shared";

export const route = createRoute({
  method: "post",
  path: "/v1/api-keys",
  tags: [TAG],
  summary: "Create an API key: secret, restricted to scopes, or publishable; its secret is shown once",
  description:
    "Only a secret key may call this (a restricted key never mints keys). `scopes` is required for a " +
    "restricted key and refused for the other kinds. The answer is the only time the key is shown; an " +
    "Idempotency-Key replay shows it again, to the same calling key only (docs/keys.md).",
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(201, { replay: withSecret })] as const,
  request: { headers: IdempotencyHeaders, body: jsonBody(CreateApiKeyBody) },
  responses: {
    201: jsonResponse("The new key and its secret", ApiKeyWithSecretSchema),
    ...adminWrite(),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await createKey({ ctx: keyContext(c), input: c.req.valid("json") }), 201);

export const register: Register = (app) => app.openapi(route, handler);
export type CreateApiKeyRequest = z.input<typeof CreateApiKeyBody>;
export type CreateApiKeyResponse = ApiKeyWithSecret;
