import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/context";
import type { Register } from "../shared";
import { htmlResponse as html, onboardingPage as page } from "./shared";

/**
 * Where the provider's onboarding sends the creator back by default: a page that says so and nothing
 * else. Readiness arrives by `account.updated` (re-read from the provider), never from this visit.
 */
export const route = createRoute({
  method: "get",
  path: "/connect/return",
  tags: ["Pages"],
  summary: "Where payouts onboarding returns the creator",
  responses: { 200: html },
});

const handler: RouteHandler<typeof route, AppEnv> = (c) =>
  c.html(
    page(
      "Payout details sent",
      "Thank you. Return to your dashboard: your payout account shows ready there once the payment provider has checked your details.",
    ),
  );

export const register: Register = (app) => app.openapi(route, handler);
