import { OpenAPIHono, z } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import type { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import { readConfig } from "./config";
import { database } from "./db/client";
import { AppError } from "./errors";
import { allowedMethodsFor } from "./http/allowed-methods";
import type { AppEnv } from "./http/context";
import { fromHttpException, problemResponse } from "./http/problem";
import { validationHook } from "./http/validation";
import { inventoryGateway } from "./inventory/gateway";
import { type Clock, systemClock } from "./lib/time";
import { type PaymentsFactory, paymentProvider } from "./payments";
import { routes } from "./routes";

export const BODY_LIMIT_BYTES = 64 * 1024;
/** A point-of-sale batch of up to 500 items, signed: the one route allowed a larger body. */
export const RECONCILE_BODY_LIMIT_BYTES = 1024 * 1024;

export function buildApp(options: { clock?: Clock; payments?: PaymentsFactory } = {}) {
  const clock = options.clock ?? systemClock;
  const payments = options.payments ?? paymentProvider;
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.use(
    requestId({
      headerName: "Request-Id",
      generator: () => `req_${crypto.randomUUID().replaceAll("-", "")}`,
    }),
  );
  app.use(async (c, next) => {
    c.set("config", readConfig(c.env));
    const db = database(c.env.DB);
    c.set("db", db);
    c.set("inventory", inventoryGateway(c.env.DROP_INVENTORY, db));
    c.set("clock", clock);
    c.set("payments", payments);
    await next();
  });
  const limitTo = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new AppError("payload_too_large", `Request bodies here are limited to ${maxSize} bytes.`);
      },
    });
  const [usual, reconcile] = [limitTo(BODY_LIMIT_BYTES), limitTo(RECONCILE_BODY_LIMIT_BYTES)];
  app.use((c, next) => (c.req.path === "/v1/pos/reconcile" ? reconcile(c, next) : usual(c, next)));

  for (const route of routes) route.register(app);

  app.openAPIRegistry.registerComponent("securitySchemes", "ApiKey", {
    type: "http",
    scheme: "bearer",
    description: "A creator's API key (`cc_sk_…`). It sees only that creator's rows.",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Creator commerce edge API",
      version: "0.1.0",
      description:
        "Every error is RFC 9457 `application/problem+json` (the `Problem` schema) with a stable `type` and the " +
        "`request_id` that is also sent as the `Request-Id` header. Unknown paths answer 404, a known path with " +
        "the wrong method 405 (with `Allow`), and any body over 64 KiB 413.",
    },
  });
  app.get("/docs", Scalar({ url: "/openapi.json", pageTitle: "Creator commerce API" }));
  documentMetaRoutes(app);

  const allowedMethods = allowedMethodsFor(app as unknown as Hono<never>);
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
    if (error instanceof AppError) return problemResponse(c, error);
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
