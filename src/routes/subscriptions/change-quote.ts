import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import type { AppEnv } from "../../http/context";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { ChangeQuoteBody, ChangeQuoteSchema } from "../../subscriptions/schemas";
import { quoteTierChange } from "../../subscriptions/switch";
import { IdParam, jsonBody, jsonResponse, type Register } from "../shared";
import { switchContext } from "./switch-context";

export const QUOTE_DESCRIPTION =
  "The proration for the rest of the current period (the new price less the old, pro rata by time), " +
  "signed: nothing is charged until the quote is applied, and then exactly what it shows. A switch down " +
  "refunds the difference to the card that paid the period. Tiers on another cadence or without a price " +
  "in the subscription's currency answer 409. Writes nothing, so it needs no Idempotency-Key.";

export const route = createRoute({
  method: "post",
  path: "/v1/subscriptions/{id}/change-quotes",
  tags: ["Subscriptions"],
  summary: "Quote a tier switch: the proration, signed, before anything is charged",
  description: QUOTE_DESCRIPTION,
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { params: IdParam("Subscription id"), body: jsonBody(ChangeQuoteBody) },
  responses: { 200: jsonResponse("The change quote", ChangeQuoteSchema), ...adminWrite(404, 503) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const tenant = c.get("tenant");
  const ctx = await switchContext(c, tenant.actor);
  const quote = await quoteTierChange(
    ctx,
    { creatorId: tenant.creatorId },
    c.req.valid("param").id,
    c.req.valid("json").offer_id,
  );
  return c.json(quote, 200);
};

export const register: Register = (app) => app.openapi(route, handler);
