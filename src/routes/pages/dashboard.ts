/**
 * The creator dashboard: GET /dashboard (the page, or the sign-in form without a session), and its
 * session: POST /dashboard/session (form-encoded secret API key → 303 with the session cookie) and
 * POST /dashboard/logout. HTML pages, not JSON operations, so they are registered on the app directly
 * and listed in the OpenAPI document with registerPath, as the checkout link's page is.
 */
import { type OpenAPIHono, type RouteConfig, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { dashboardSession, requireOwnOrigin, sessionContext } from "../../dashboard/auth";
import { clearSessionCookie, readSessionCookie, setSessionCookie } from "../../dashboard/cookie";
import { DashboardQuery, exportQuery, parseDashboardQuery } from "../../dashboard/query";
import { endSession, startSession } from "../../dashboard/session";
import { dashboardView } from "../../dashboard/view";
import { AppError } from "../../errors";
import { bodyGuard } from "../../http/body";
import type { AppEnv } from "../../http/context";
import { problemResponses } from "../../http/openapi";
import { ProblemSchema, problemResponse } from "../../http/problem";
import { randomToken } from "../../lib/crypto";
import { toIso } from "../../lib/time";
import { dashboardCsp, dashboardPage, signInPage } from "../../surfaces/dashboard/page";
import { registerDashboardExport } from "./dashboard-export";

/** A form post holds one API key: a few hundred bytes is plenty. */
const FORM_LIMIT_BYTES = 4 * 1024;

function htmlPage(c: Context<AppEnv>, status: 200 | 401, body: string, nonce: string): Response {
  return c.body(body, status, {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": dashboardCsp(nonce, new URL(c.req.url).origin),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-robots-tag": "noindex",
  });
}

const seeOther = (c: Context<AppEnv>, cookie: string): Response =>
  c.body(null, 303, { location: "/dashboard", "set-cookie": cookie, "cache-control": "no-store" });

async function page(c: Context<AppEnv>): Promise<Response> {
  const nonce = randomToken(22);
  const session = await dashboardSession(c);
  if (session === undefined) return htmlPage(c, 200, signInPage(nonce), nonce);
  const ctx = sessionContext(c, session);
  const request = parseDashboardQuery(c.req.query(), ctx.now);
  const log = (what: string, error: unknown) =>
    console.error(JSON.stringify({ request_id: c.get("requestId"), dashboard: what, error: String(error) }));
  const view = await dashboardView(ctx, request, log);
  const { input } = request;
  const next =
    view.orders.next_cursor === null
      ? null
      : `/dashboard?${new URLSearchParams(
          Object.entries({ ...input, cursor: view.orders.next_cursor }).filter(
            (e): e is [string, string] => typeof e[1] === "string",
          ),
        )}`;
  const csv = `/dashboard/orders.csv?${exportQuery(request)}`;
  const body = dashboardPage({
    nonce,
    creatorId: session.creatorId,
    view,
    range: request.days,
    filters: input,
    links: { next, csv },
    expiresAt: toIso(session.expiresAt),
  });
  return htmlPage(c, 200, body, nonce);
}

/** The form's one field; anything else in it is refused, as a strict JSON body would be. */
const SignInForm = z.strictObject({ key: z.string().min(1).max(200) });

async function signIn(c: Context<AppEnv>): Promise<Response> {
  requireOwnOrigin(c);
  // Decoded by hand: workerd warns on .text() of a form body, and URLSearchParams is the form's grammar.
  const form = new TextDecoder().decode(await c.req.arrayBuffer());
  const parsed = SignInForm.safeParse(Object.fromEntries(new URLSearchParams(form)));
  if (!parsed.success) {
    throw new AppError("validation_failed", "Send the form's one field, `key`: the secret API key.", {
      errors: [{ in: "body", path: "/key", message: "required, the only field" }],
    });
  }
  const started = await startSession(c.get("db"), parsed.data.key, c.get("clock").now());
  if (started === undefined) {
    const accept = c.req.header("accept") ?? "";
    if (/json/.test(accept) && !/text\/html/.test(accept)) {
      return problemResponse(c, new AppError("unauthenticated", "The API key is not valid."));
    }
    const nonce = randomToken(22);
    return htmlPage(c, 401, signInPage(nonce, "That key is not valid, or it was revoked."), nonce);
  }
  return seeOther(c, setSessionCookie(c, started.secret));
}

async function signOut(c: Context<AppEnv>): Promise<Response> {
  requireOwnOrigin(c);
  await endSession(c.get("db"), readSessionCookie(c));
  return seeOther(c, clearSessionCookie(c));
}

const HtmlPage = { "text/html": { schema: z.string() } };
const formBody = (schema: z.ZodType) => ({
  content: { "application/x-www-form-urlencoded": { schema } },
  required: true,
});
const redirect = (description: string) => ({
  description,
  headers: {
    location: { schema: { type: "string" as const }, description: "/dashboard" },
    "set-cookie": {
      schema: { type: "string" as const },
      description: "The session cookie (HttpOnly, SameSite=Strict)",
    },
  },
});

const pageRoute = {
  method: "get",
  path: "/dashboard",
  tags: ["Dashboard"],
  summary: "The creator dashboard (HTML): KPIs, live drops, orders; the sign-in form without a session",
  description:
    "Authenticated by the dashboard session cookie (`POST /dashboard/session`), never by an API key. " +
    "Without a live session it answers the sign-in form. `from`/`to` pick the KPI range (UTC days, default " +
    "the last 30); the other parameters filter the orders table, as its form sends them.",
  request: { query: DashboardQuery },
  responses: {
    200: { description: "The dashboard, or the sign-in form", content: HtmlPage },
    ...problemResponses(422, 500),
  },
} satisfies RouteConfig;

const sessionRoute = {
  method: "post",
  path: "/dashboard/session",
  tags: ["Dashboard"],
  summary: "Sign in to the dashboard with a secret API key (a form post)",
  description:
    "Checks the key as the API does and starts a 30-minute session tied to it (revoking the key ends it), " +
    "then 303 to /dashboard with the cookie. Only from the dashboard's own origin (`Origin`), else 403. A " +
    "wrong or revoked key answers the form again with 401 (problem+json to a client asking for JSON).",
  request: { body: formBody(SignInForm) },
  responses: {
    303: redirect("Signed in: the session cookie, and on to /dashboard"),
    401: {
      description: "The key is not valid",
      content: { ...HtmlPage, "application/problem+json": { schema: ProblemSchema } },
    },
    ...problemResponses(403, 413, 415, 422, 500),
  },
} satisfies RouteConfig;

const logoutRoute = {
  method: "post",
  path: "/dashboard/logout",
  tags: ["Dashboard"],
  summary: "Sign out of the dashboard: the session ends at once",
  description:
    "Deletes the session the cookie names and clears the cookie; 303 to /dashboard. Own origin only.",
  responses: { 303: redirect("Signed out"), ...problemResponses(403, 413, 500) },
} satisfies RouteConfig;

/** Registers the dashboard and lists it in the document; the app calls this once, after the API routes. */
export function registerDashboardPages(app: OpenAPIHono<AppEnv>): void {
  app.get("/dashboard", page);
  for (const [route, handler] of [
    [sessionRoute, signIn],
    [logoutRoute, signOut],
  ] as const) {
    const guard = bodyGuard(route, FORM_LIMIT_BYTES);
    if (guard) app.post(route.path, guard, handler);
    else app.post(route.path, handler);
  }
  for (const route of [pageRoute, sessionRoute, logoutRoute]) app.openAPIRegistry.registerPath(route);
  registerDashboardExport(app);
}
