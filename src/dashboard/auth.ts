/**
 * Who a dashboard request is: the creator of the live session its cookie names. Used only by the
 * /dashboard routes; the API's `requireApiKey` never reads a cookie, so a session opens no /v1 route.
 */
import type { Context } from "hono";
import type { TenantContext } from "../context";
import { AppError } from "../errors";
import { type AppEnv, tenantContext } from "../http/context";
import { readSessionCookie } from "./cookie";
import { type DashboardSession, sessionOf } from "./session";

export async function dashboardSession(c: Context<AppEnv>): Promise<DashboardSession | undefined> {
  return sessionOf(c.get("db"), readSessionCookie(c), c.get("clock").now());
}

/** A domain context for the session's creator; the audit actor names the key it was made from. */
export function sessionContext(c: Context<AppEnv>, session: DashboardSession): TenantContext {
  c.set("tenant", { creatorId: session.creatorId, actor: `dashboard:${session.apiKeyId}` });
  return tenantContext(c);
}

export const signedOut = () =>
  new AppError(
    "unauthenticated",
    "Sign in to the dashboard first: GET /dashboard, then POST /dashboard/session.",
  );

/**
 * CSRF: a form post counts only from a page of this worker's own origin. Browsers send `Origin` on
 * every POST; one that names another origin, or none, is refused before anything is read or written.
 */
export function requireOwnOrigin(c: Context<AppEnv>): void {
  const origin = c.req.header("origin");
  if (origin === undefined || origin !== new URL(c.req.url).origin) {
    throw new AppError(
      "origin_not_allowed",
      "Dashboard forms are accepted only from the dashboard's own origin.",
    );
  }
}
