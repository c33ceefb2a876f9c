/**
 * The sandbox's stand-in for Stripe's hosted Connect onboarding (src/payments/sandbox-connect.ts):
 * `GET /sandbox/connect/{account}` is where the sandbox's account links point, a small HTML page with
 * two buttons; `POST` completes the onboarding (charges and payouts enabled) or leaves requirements due,
 * re-reads the account into `connected_accounts` as `account.updated` would (connect/verbs.ts
 * syncAccount), and sends the creator back to the link's return URL.
 *
 * Development and test only: in production both answer the 404 of a path that does not exist.
 * Misuse guards, for a tool that marks accounts ready with no sign-in: the GET changes nothing; the POST
 * counts only from a page of this worker's own origin (`Origin`, as the dashboard's forms), so another
 * site open in the developer's browser cannot post it; the form's fields are strict; the redirect goes
 * only to this worker's own origin (never an open redirect), else the page says it is done.
 */
import { type OpenAPIHono, type RouteConfig, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { allowsLocalStandIns } from "../../config";
import { syncAccount } from "../../connect/verbs";
import { AppError } from "../../errors";
import { bodyGuard } from "../../http/body";
import type { AppEnv } from "../../http/context";
import { problemResponses } from "../../http/openapi";
import { randomToken } from "../../lib/crypto";
import type { ConnectedAccount } from "../../payments/provider";
import { accountOf, createSandboxConnect, findAccount, onboard } from "../../payments/sandbox-connect";
import { html, type Markup, trusted } from "../../surfaces/checkout-page/html";
import { pageCss } from "../../surfaces/checkout-page/styles";

const PATH = "/sandbox/connect/:account";
/** Two short fields: a few hundred bytes is plenty. */
const FORM_LIMIT_BYTES = 4 * 1024;

const OnboardingForm = z.strictObject({
  action: z.enum(["complete", "leave"]),
  return: z.string().max(2000).optional(),
});

/**
 * Outside development and test the page does not exist, and answers exactly as a path that does not:
 * ahead of the body checks, so not even a 415 tells it apart.
 */
const sandboxOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!allowsLocalStandIns(c.get("config")))
    throw new AppError("not_found", `No route for ${c.req.method} ${c.req.path}.`);
  await next();
};

const unknownAccount = (id: string) =>
  new AppError("not_found", `No sandbox account ${JSON.stringify(id)} exists.`);

function page(c: Context<AppEnv>, title: string, body: Markup): Response {
  const nonce = randomToken(22);
  const doc = html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${title}</title><style nonce="${nonce}">${trusted(pageCss)}</style></head><body><main aria-labelledby="title"><p class="eyebrow">Sandbox · Stripe Connect</p>${body}</main></body></html>`;
  return c.body(doc.value, 200, {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": `default-src 'none'; style-src 'nonce-${nonce}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
  });
}

const facts = (a: ConnectedAccount): Markup =>
  html`<section class="card" aria-label="Account"><dl>
<div><dt>Details submitted</dt><dd>${a.detailsSubmitted ? "yes" : "no"}</dd></div>
<div><dt>Charges enabled</dt><dd>${a.chargesEnabled ? "yes" : "no"}</dd></div>
<div><dt>Payouts enabled</dt><dd>${a.payoutsEnabled ? "yes" : "no"}</dd></div>
<div><dt>Requirements due</dt><dd>${a.requirementsDue.length === 0 ? "none" : a.requirementsDue.join(", ")}</dd></div>
</dl></section>`;

async function show(c: Context<AppEnv>): Promise<Response> {
  const id = c.req.param("account") ?? "";
  const row = await findAccount(c.get("db"), id);
  if (row === undefined) throw unknownAccount(id);
  const account = accountOf(row);
  const back = c.req.query("return");
  return page(
    c,
    `Sandbox onboarding for ${account.id}`,
    html`<h1 id="title">Sandbox onboarding for ${account.id}</h1>
<p class="desc">This page stands in for Stripe's hosted onboarding. Nothing is sent to Stripe: choose how the account ends up.</p>
${facts(account)}
<form method="post" action="/sandbox/connect/${account.id}">
${back === undefined ? "" : html`<input type="hidden" name="return" value="${back}">`}
<button type="submit" name="action" value="complete">Complete onboarding</button>
<button type="submit" name="action" value="leave" class="secondary">Leave requirements due</button>
</form>`,
  );
}

async function submit(c: Context<AppEnv>): Promise<Response> {
  const self = new URL(c.req.url).origin;
  if (c.req.header("origin") !== self) {
    throw new AppError(
      "origin_not_allowed",
      "The sandbox onboarding form is accepted only from its own page.",
    );
  }
  // Decoded by hand, as the dashboard's sign-in form: URLSearchParams is the form's grammar.
  const form = new TextDecoder().decode(await c.req.arrayBuffer());
  const parsed = OnboardingForm.safeParse(Object.fromEntries(new URLSearchParams(form)));
  if (!parsed.success) {
    throw new AppError(
      "validation_failed",
      "Send the form's fields: `action` (complete or leave), `return`.",
      {
        errors: [{ in: "body", path: "/action", message: "complete or leave; no other fields" }],
      },
    );
  }
  const [db, now, id] = [c.get("db"), c.get("clock").now(), c.req.param("account") ?? ""];
  const account = await onboard(db, id, parsed.data.action, now);
  if (account === undefined) throw unknownAccount(id);
  // What Stripe's `account.updated` would make the worker do: re-read the account and store its readiness.
  await syncAccount(db, createSandboxConnect(db, { now: () => now }), id, now, "sandbox:onboarding");
  const back = parsed.data.return;
  if (back !== undefined && URL.canParse(back) && new URL(back).origin === self) {
    return c.body(null, 303, { location: back, "cache-control": "no-store" });
  }
  const done = account.chargesEnabled ? "Onboarding complete" : "Requirements left due";
  return page(
    c,
    `${done} for ${account.id}`,
    html`<h1 id="title">${done} for ${account.id}</h1>
${facts(account)}
<p class="desc">${back === undefined ? "You can close this page." : html`Go back to <code>${back}</code> to continue.`}</p>`,
  );
}

const HtmlPage = { "text/html": { schema: z.string() } };
const AccountParam = z.object({
  account: z.string().openapi({ param: { name: "account", in: "path" }, description: "`acct_sbx_…`" }),
});
const note = "Development and test only (the sandbox provider); 404 in production.";

const showRoute = {
  method: "get",
  path: "/sandbox/connect/{account}",
  tags: ["Payouts"],
  summary: "The sandbox's onboarding page for a connected account (HTML)",
  description: `Where the sandbox's account links point, in place of Stripe's hosted onboarding. ${note}`,
  request: {
    params: AccountParam,
    query: z.object({
      return: z.string().optional().openapi({ description: "Where the creator goes when done." }),
      refresh: z.string().optional().openapi({ description: "Where an expired link would go." }),
    }),
  },
  responses: {
    200: { description: "The onboarding page", content: HtmlPage },
    ...problemResponses(404, 500),
  },
} satisfies RouteConfig;

const submitRoute = {
  method: "post",
  path: "/sandbox/connect/{account}",
  tags: ["Payouts"],
  summary: "Complete the sandbox onboarding, or leave requirements due (a form post)",
  description:
    "`complete` enables charges and payouts; `leave` submits details but leaves the identity document due. " +
    "The account is then re-read into the creator's connected account, as `account.updated` would, and the " +
    "creator is sent (303) to `return` when it is on this worker's origin; otherwise the page says it is done. " +
    `Only from this worker's own origin (\`Origin\`), else 403. ${note}`,
  request: {
    params: AccountParam,
    body: { content: { "application/x-www-form-urlencoded": { schema: OnboardingForm } }, required: true },
  },
  responses: {
    200: { description: "Done (the return URL is on another origin, or none was given)", content: HtmlPage },
    303: {
      description: "Done: on to the return URL",
      headers: { location: { schema: { type: "string" as const }, description: "The link's return URL" } },
    },
    ...problemResponses(403, 404, 413, 415, 422, 500),
  },
} satisfies RouteConfig;

/** Registers the page and lists it in the document; the app calls this once, after the API routes. */
export function registerSandboxConnectPage(app: OpenAPIHono<AppEnv>): void {
  app.get(PATH, sandboxOnly, show);
  const guard = bodyGuard(submitRoute, FORM_LIMIT_BYTES);
  if (guard) app.post(PATH, sandboxOnly, guard, submit);
  else app.post(PATH, sandboxOnly, submit);
  for (const route of [showRoute, submitRoute]) app.openAPIRegistry.registerPath(route);
}
