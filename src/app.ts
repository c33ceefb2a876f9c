import { OpenAPIHono, z } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import type { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { readConfig } from "./config";
import { database } from "./db/client";
import { AppError } from "./errors";
import { allowedMethodsFor } from "./http/allowed-methods";
import { BODY_LIMIT_BYTES, bodyGuard, documentBodyErrors, RECONCILE_BODY_LIMIT_BYTES } from "./http/body";
import type { AppEnv } from "./http/context";
import { corsFor, documentCorsErrors, preflight } from "./http/cors";
import { fromHttpException, problemResponse } from "./http/problem";
import { requestId } from "./http/request-id";
import { validationHook } from "./http/validation";
import { inventoryGateway } from "./inventory/gateway";
import { type Clock, systemClock } from "./lib/time";
import { type PaymentsFactory, paymentProvider } from "./payments";
import { rateLimitGate } from "./ratelimit/gate";
import { documentRateLimitErrors } from "./ratelimit/openapi";
import { routes } from "./routes";
import { registerDashboardPages } from "./routes/pages/dashboard";
import { registerLinkPage } from "./routes/pages/link";
import { registerSandboxConnectPage } from "./routes/pages/sandbox-connect";
import { pokeDispatcher } from "./webhooks/queue";

/** The document's header, shared by /openapi.json and the typed client's generator. */
export const openApiInfo = {
  openapi: "3.1.0",
  info: {
    title: "Creator commerce edge API",
    version: "0.1.0",
    description:
      "Every error is RFC 9457 `application/problem+json` (the `Problem` schema) with a stable `type` and the " +
      "`request_id` that is also sent as the `Request-Id` header. Unknown paths answer 404, a known path with " +
      "the wrong method 405 (with `Allow`). A POST, PUT or PATCH body over 64 KiB (1 MiB for the signed POS " +
      "batch) answers 413, and a JSON body sent as anything but `application/json` (UTF-8) 415; GET and " +
      "DELETE bodies are ignored. Integer query parameters take plain decimal digits only.",
  },
};

export function buildApp(options: { clock?: Clock; payments?: PaymentsFactory } = {}) {
  const clock = options.clock ?? systemClock;
  const payments = options.payments ?? paymentProvider;
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.use(requestId);
  // After a write answered: poke the webhook dispatcher (a queue send in waitUntil, no D1 read).
  app.use(pokeDispatcher);
  app.use(async (c, next) => {
    c.set("config", readConfig(c.env));
    const db = database(c.env.DB);
    c.set("db", db);
    c.set("inventory", inventoryGateway(c.env.DROP_INVENTORY, db));
    c.set("clock", clock);
    c.set("payments", payments);
    await next();
  });
  // Layer 1 of the rate limits (docs/rate-limits.md): one binding call, before any route reads D1.
  app.use(rateLimitGate);
  for (const { route, register } of routes) {
    // Registered just ahead of the route, so only its own requests pay for it: an unknown path or an
    // operation that reads no body answers as it would without one, never with an undocumented 413.
    const guard = bodyGuard(
      route,
      route.path === "/v1/pos/reconcile" ? RECONCILE_BODY_LIMIT_BYTES : BODY_LIMIT_BYTES,
    );
    if (guard) app.on(route.method.toUpperCase(), route.getRoutingPath(), guard);
    const cors = corsFor(route.method, route.path);
    if (cors) app.on(route.method.toUpperCase(), route.getRoutingPath(), cors);
    register(app);
  }
  documentBodyErrors(app.openAPIRegistry);
  documentCorsErrors(app.openAPIRegistry);

  app.openAPIRegistry.registerComponent("securitySchemes", "ApiKey", {
    type: "http",
    scheme: "bearer",
    description: "A creator's API key (`cc_sk_…`). It sees only that creator's rows.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "OperatorKey", {
    type: "http",
    scheme: "bearer",
    description:
      "The platform operator's key (`cc_op_…`): only its SHA-256 is configured (OPERATOR_KEY_SHA256). " +
      "It manages creators (`/v1/operator/…`) and nothing else; no creator key is accepted there.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "MemberToken", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "A member's own entitlement token (a session token, not a purchase receipt).",
  });
  app.doc31("/openapi.json", openApiInfo);
  // Scalar's script is this worker's static asset (public/, from scripts/copy-assets.mjs), not a CDN's.
  app.get(
    "/docs",
    Scalar({
      url: "/openapi.json",
      pageTitle: "Creator commerce API",
      cdn: "/docs/scalar.standalone.js",
      withDefaultFonts: false,
    }),
  );
  documentMetaRoutes(app);
  registerLinkPage(app);
  registerDashboardPages(app);
  registerSandboxConnectPage(app);
  // After every registration, pages and the document's own routes included: the gate runs on all of them.
  documentRateLimitErrors(app.openAPIRegistry);

  const allowedMethods = allowedMethodsFor(app as unknown as Hono<never>);
  app.options(
    "*",
    preflight((path) => allowedMethods(path).length > 0),
  );
  app.notFound((c) => {
    const allowed = allowedMethods(c.req.path);
    if (allowed.length > 0 && !allowed.includes(c.req.method)) {
      return problemResponse(
        c,
        new AppError(
          "method_not_allowed",
          `${c.req.method} is not allowed here. Allowed: ${allowed.join(", ")}.`,
          {
            headers: { allow: allowed.join(", ") },
          },
        ),
      );
    }
    return problemResponse(c, new AppError("not_found", `No route for ${c.req.method} ${c.req.path}.`));
  });
  app.onError((error, c) => {
    if (error instanceof AppError) {
      // The operator, not the client, must act: say what to fix where they look (wrangler tail, logs).
      if (error.code === "misconfigured") {
        console.error(JSON.stringify({ request_id: c.get("requestId"), error: error.detail }));
      }
      return problemResponse(c, error);
    }
    if (error instanceof HTTPException) return problemResponse(c, fromHttpException(error));
    console.error(
      JSON.stringify({ request_id: c.get("requestId"), error: String(error), stack: (error as Error).stack }),
    );
    return problemResponse(
      c,
      new AppError("internal", "An unexpected error occurred. Quote the request_id if you report it."),
    );
  });
  return app;
}

/** The document and the reference are routes too, so the document lists them. */
function documentMetaRoutes(app: OpenAPIHono<AppEnv>) {
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/openapi.json",
    tags: ["Meta"],
    summary: "This OpenAPI 3.1 document",
    responses: {
      200: {
        description: "The document",
        content: { "application/json": { schema: z.record(z.string(), z.unknown()) } },
      },
    },
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/docs",
    tags: ["Meta"],
    summary: "Interactive API reference (Scalar), rendered from /openapi.json",
    responses: { 200: { description: "An HTML page", content: { "text/html": { schema: z.string() } } } },
  });
}
