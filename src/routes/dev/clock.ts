import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, renewalContext, storeAnswer } from "../../http/context";
import { idempotent } from "../../http/idempotency";
import { adminWrite, bearerSecurity } from "../../http/openapi";
import { advanceClock } from "../../subscriptions/clock";
import { AdvanceClockBody, durationMs } from "../../subscriptions/schemas";
import { IdempotencyHeaders, jsonBody, jsonResponse, type Register } from "../shared";
import { developmentOnly } from "./outbox";

const Advanced = z
  .object({
    object: z.literal("sandbox_clock"),
    advanced_by_seconds: z.int(),
    subscriptions: z.int().openapi({ description: "The creator's sandbox subscriptions moved." }),
    renewed: z.int(),
    failed: z.int(),
    recovered: z.int(),
    ended: z.int(),
    deferred: z.int().openapi({ description: "Steps left for the sweep: the provider did not answer." }),
  })
  .openapi("SandboxClockAdvanced");

export const route = createRoute({
  method: "post",
  path: "/v1/dev/clock",
  tags: ["Development"],
  summary: "Advance the creator's sandbox billing clock (development and test only)",
  description:
    "Like a Stripe test clock: every renewal, retry and period end of the creator's sandbox subscriptions " +
    "that falls within the advance runs at its own time, in order, before this answers. Renewals charge " +
    "the saved test card, so a card that declines (set one with PATCH /v1/subscriptions/{id}) walks " +
    "through dunning. Each call advances again, unless it repeats an Idempotency-Key (then it replays the " +
    "first answer). With ENVIRONMENT=production this " +
    "path answers 404 like any unknown one.",
  security: bearerSecurity,
  middleware: [developmentOnly, requireApiKey, idempotent(200)] as const,
  request: { headers: IdempotencyHeaders, body: jsonBody(AdvanceClockBody) },
  responses: { 200: jsonResponse("What the advance ran", Advanced), ...adminWrite(404) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const tenant = c.get("tenant");
  const byMs = durationMs(c.req.valid("json").by);
  const { subscriptions, report } = await advanceClock(renewalContext(c, tenant.actor), {
    creatorId: tenant.creatorId,
    byMs,
  });
  const { subscriptions: _stepped, ...steps } = report;
  const answer = {
    object: "sandbox_clock" as const,
    advanced_by_seconds: byMs / 1000,
    subscriptions,
    ...steps,
  };
  return c.json(await storeAnswer(c, answer), 200);
};

export const register: Register = (app) => app.openapi(route, handler);
