/**
 * The typed client for the worker's API: openapi-fetch over `paths`, which scripts/build-openapi-types.ts
 * generates from the worker's own OpenAPI document, so a request or response that drifts from the routes
 * fails to typecheck. About 2 KB in a browser bundle; the checkout page, the widget and the overlay use it.
 *
 *   const api = createApiClient("https://commerce.example.com");
 *   const { data, error } = await api.POST("/v1/quotes", { body: { offer_id }, headers: { "buyer-id": id } });
 */
import createClient, { type ClientOptions } from "openapi-fetch";
import type { components, paths } from "./openapi";

export type { components, paths };
export type Schemas = components["schemas"];

export function createApiClient(baseUrl: string, options: Omit<ClientOptions, "baseUrl"> = {}) {
  return createClient<paths>({ ...options, baseUrl: baseUrl.replace(/\/$/, "") });
}

export type ApiClient = ReturnType<typeof createApiClient>;
