/**
 * GET /l/{id}: a checkout link's hosted page. Not a JSON operation: it answers HTML (an unknown link
 * answers problem+json to a client that asks for JSON), so it is registered on the app directly and
 * listed in the OpenAPI document with registerPath, as /docs is.
 */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { PageConfig } from "../../../clients/checkout-page/config";
import { AppError, notFound } from "../../errors";
import { type AppEnv, buyerContext } from "../../http/context";
import { buyerCountry } from "../../http/country";
import { originAllowed } from "../../http/origins";
import { ProblemSchema, problemResponse, problemTable } from "../../http/problem";
import { randomToken } from "../../lib/crypto";
import { pageFacts } from "../../links/page";
import { linkForPage } from "../../links/store";
import { creatorSuspended } from "../../operator/standing";
import { pageCsp, renderCheckoutPage, renderMessagePage } from "../../surfaces/checkout-page/page";

type Status = 200 | 403 | 404 | 410 | 500 | 503;

function page(c: Context<AppEnv>, status: Status, body: string, csp: string): Response {
  return c.body(body, status, {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": csp,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
  });
}

/**
 * A refusal: a short HTML page for a browser, the same refusal as problem+json for a client that asks
 * for JSON and not HTML (an API client, `curl -H 'accept: application/json'`).
 */
function refuse(
  c: Context<AppEnv>,
  error: AppError,
  heading: string,
  text: string,
  framable = false,
): Response {
  const accept = c.req.header("accept") ?? "";
  if (/json/.test(accept) && !/text\/html/.test(accept)) return problemResponse(c, error);
  const nonce = randomToken(22);
  const status = problemTable[error.code].status as Status;
  return page(
    c,
    status,
    renderMessagePage(nonce, heading, text),
    pageCsp(nonce, { parent: null, stripe: false, anyAncestor: framable }),
  );
}

async function handler(c: Context<AppEnv>): Promise<Response> {
  const id = c.req.param("id") ?? "";
  const db = c.get("db");
  const link = await linkForPage(db, id);
  if (link === undefined) {
    return refuse(
      c,
      notFound("checkout link", id),
      "This checkout link doesn't exist",
      "Check the address, or ask the seller for a new link.",
    );
  }
  if (link.creatorSuspended) {
    return refuse(
      c,
      creatorSuspended("checkout link"),
      "This shop is unavailable",
      "The seller's shop is unavailable right now; nothing can be bought here. Try again later.",
    );
  }
  if (link.status === "archived") {
    return refuse(
      c,
      new AppError("link_archived", `Checkout link ${link.id} is archived.`),
      "This checkout has ended",
      "The seller has closed this link; it no longer sells anything.",
    );
  }
  const embed = c.req.query("embed") === "1";
  const parent = embed ? (c.req.query("parent") ?? "") : null;
  const selfOrigin = new URL(c.req.url).origin;
  // An empty parent would read as "no Origin" (allowed): an embed must name the page it is on.
  if (parent !== null && (parent === "" || !(await originAllowed(db, link.creatorId, parent, selfOrigin)))) {
    return refuse(
      c,
      new AppError(
        "origin_not_allowed",
        "The creator does not allow embedding this checkout on that origin.",
      ),
      "This checkout can't be shown here",
      "The seller hasn't allowed checkout on this website. Open the link directly to buy.",
      true,
    );
  }
  const config = c.get("config");
  const stripeKey = config.STRIPE_SECRET_KEY === undefined ? null : (config.STRIPE_PUBLISHABLE_KEY ?? null);
  if (config.STRIPE_SECRET_KEY !== undefined && stripeKey === null) {
    console.error(
      JSON.stringify({ request_id: c.get("requestId"), error: "STRIPE_PUBLISHABLE_KEY is not set" }),
    );
    return refuse(
      c,
      new AppError("payment_unavailable", "Payments are not set up for the hosted checkout page yet."),
      "Checkout is unavailable",
      "Payments are not set up yet. Try again later.",
    );
  }
  const facts = await pageFacts(buyerContext(c), link, buyerCountry(c));
  if (facts === undefined) {
    return refuse(
      c,
      new AppError("link_archived", `What checkout link ${link.id} sold is no longer on sale.`),
      "This checkout has ended",
      "What this link sold is no longer on sale.",
    );
  }
  const nonce = randomToken(22);
  const pageConfig: PageConfig = {
    link_id: link.id,
    offer_id: link.offerId,
    drop_id: link.dropId,
    quantity: link.quantity,
    currency: link.currency,
    coupon: link.coupon,
    source: link.source,
    attribution: link.attribution ?? null,
    success_url: link.successUrl,
    buyer_id: facts.buyerId,
    parent,
    stripe_key: stripeKey,
    stock: link.dropId === null ? null : "stream",
  };
  const html = renderCheckoutPage({
    nonce,
    eyebrow: link.title,
    title: facts.title,
    description: facts.description,
    price: facts.price,
    stock: facts.stock,
    config: pageConfig,
  });
  const socket = pageConfig.stock === "stream" ? selfOrigin.replace(/^http/, "ws") : null;
  return page(c, 200, html, pageCsp(nonce, { parent, stripe: stripeKey !== null, socket }));
}

const HtmlPage = { "text/html": { schema: z.string() } };
/** A refusal: HTML for a browser, problem+json for a client asking for JSON only. */
const refusal = (description: string) => ({
  description,
  content: { ...HtmlPage, "application/problem+json": { schema: ProblemSchema } },
});

/** Registers the page and lists it in the document; the app calls this once, after the API routes. */
export function registerLinkPage(app: OpenAPIHono<AppEnv>): void {
  app.get("/l/:id", handler);
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/l/{id}",
    tags: ["Checkout links"],
    summary: "The hosted checkout page of a link (HTML)",
    description:
      "Server-rendered: the price for the buyer's country, live stock for a drop, email, payment and the " +
      "entitlement. `?embed=1&parent=<origin>` renders it for an iframe on `parent`, only when the creator " +
      "allows that origin (403 otherwise); `Content-Security-Policy: frame-ancestors` names it. A suspended " +
      "creator's link is 403 (the shop is unavailable). An unknown " +
      "link is 404, an archived one 410; each refusal is an HTML page, or problem+json to a client that asks for JSON only.",
    request: {
      params: z.object({
        id: z.string().openapi({ param: { name: "id", in: "path" }, description: "Link id" }),
      }),
      query: z.object({
        embed: z.enum(["1"]).optional().openapi({ description: "Render for embedding (with `parent`)." }),
        parent: z.string().optional().openapi({ description: "The embedding page's origin." }),
      }),
    },
    responses: {
      200: { description: "The checkout page", content: HtmlPage },
      403: refusal("Embedding on `parent` is not allowed by the creator, or the creator is suspended"),
      404: refusal("No such link"),
      410: refusal("The link was archived, or its offer is no longer on sale"),
      500: refusal("Internal error"),
      503: refusal("Stripe is configured without STRIPE_PUBLISHABLE_KEY"),
    },
  });
}
