import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/context";
import type { Register } from "../shared";
import { htmlResponse as html, onboardingPage as page } from "./shared";

/**
 * Where an expired or reused onboarding link sends the creator by default: a page that says to start
 * again from the dashboard (links are single use and last minutes).
 */
export const route = createRoute({
  method: "get",
  path: "/connect/refresh",
  tags: ["Pages"],
  summary: "Where an expired payouts onboarding link sends the creator",
  responses: { 200: html },
});

const handler: RouteHandler<typeof route, AppEnv> = (c) =>
  c.html(
    page(
      "This link has expired",
      "Onboarding links work once and for a few minutes. Return to your dashboard and start payouts onboarding again.",
    ),
  );

export const register: Register = (app) => app.openapi(route, handler);
