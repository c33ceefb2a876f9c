import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../http/context";
import { problemResponses } from "../http/openapi";

/** Every operation the gate covers may answer 429 rate_limited; document it on each, as the gate runs on each. */
export function documentRateLimitErrors(registry: OpenAPIHono<AppEnv>["openAPIRegistry"]): void {
  for (const definition of registry.definitions) {
    if (definition.type !== "route" || definition.route.path === "/v1/webhooks/stripe") continue;
    definition.route = {
      ...definition.route,
      responses: { ...definition.route.responses, ...problemResponses(429) },
    };
  }
}
