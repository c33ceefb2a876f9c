import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, storeAnswer } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { ApplyChangeBody, SubscriptionSchema } from "../../subscriptions/schemas";
import { applyTierChange } from "../../subscriptions/switch";
import { IdempotencyHeaders, IdParam, jsonBody, jsonResponse, type Register } from "../shared";
import { switchContext } from "./switch-context";

export const APPLY_DESCRIPTION =
  "Charges (or refunds) exactly the quote's amount and switches the tier in one batch: the new tier is " +
  "granted, the old one ends and tokens listing it stop verifying. Applying the same quote again answers " +
  "the subscription and changes nothing. A quote made before the " +
  "subscription last changed answers 409; a tampered one 422; a declined card 402.";

export const route = createRoute({
  method: "post",
  path: "/v1/subscriptions/{id}/tier-changes",
  tags: ["Subscriptions"],
  summary: "Switch tier at the quoted proration",
  description: APPLY_DESCRIPTION,
  security: bearerSecurity,
  middleware: [requireApiKey, idempotent(200)] as const,
  request: {
    params: IdParam("Subscription id"),
    headers: IdempotencyHeaders,
    body: jsonBody(ApplyChangeBody),
  },
  responses: {
    200: jsonResponse("The switched subscription", SubscriptionSchema),
    ...adminWrite(402, 404, 410, 503),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const tenant = c.get("tenant");
  const ctx = await switchContext(c, tenant.actor);
  return c.json(
    await storeAnswer(
      c,
      await applyTierChange(
        ctx,
        { creatorId: tenant.creatorId },
        c.req.valid("param").id,
        c.req.valid("json").quote,
      ),
    ),
    200,
  );
};

export const register: Register = (app) => app.openapi(route, handler);
