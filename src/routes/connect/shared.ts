import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ConnectContext } from "../../connect/verbs";
import { type AppEnv, tenantContext } from "../../http/context";

export const TAG = "Payouts";

/** The creator's context with the request's provider, whose `connect` the verbs call. */
export function connectContext(c: Context<AppEnv>): ConnectContext {
  const clock = c.get("clock");
  const db = c.get("db");
  return {
    ...tenantContext(c),
    provider: c.get("payments")(c.get("config"), db, { now: () => clock.now(), emit: () => {} }),
    origin: new URL(c.get("config").ENTITLEMENT_ISSUER).origin,
  };
}

const Instant = z.string().openapi({ format: "date-time" });

export const ConnectedAccountSchema = z
  .object({
    object: z.literal("connected_account"),
    account_id: z.string().openapi({ example: "acct_1Q2w3E4r5T6y7U8i" }),
    type: z.enum(["express", "standard"]),
    charges_enabled: z.boolean(),
    payouts_enabled: z.boolean(),
    details_submitted: z.boolean(),
    requirements_due: z
      .array(z.string())
      .openapi({ description: "Stripe's `requirements.currently_due`: what onboarding still needs." }),
    disabled_reason: z.string().nullable(),
    ready: z.boolean().openapi({
      description: "Charges enabled and details submitted: checkouts pay this account (destination charges).",
    }),
    provider: z.string(),
    created_at: Instant,
    updated_at: Instant,
  })
  .openapi("ConnectedAccount");

export const LinkAccountBody = z
  .strictObject({
    type: z.enum(["express", "standard"]).openapi({
      description: "Express (Stripe hosts a light dashboard; the platform handles support) or Standard.",
    }),
    email: z.email().max(320).optional(),
    country: z
      .string()
      .regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 code, upper case")
      .optional(),
  })
  .openapi("LinkConnectedAccount");

const HttpsUrl = z
  .url({ protocol: /^https$/ })
  .max(2000)
  .openapi({ example: "https://creator.example/settings/payouts" });

export const AccountLinkBody = z
  .strictObject({
    refresh_url: HttpsUrl.optional().openapi({
      description:
        "Where an expired or reused link sends the creator; the worker's /connect/refresh by default.",
    }),
    return_url: HttpsUrl.optional().openapi({
      description: "Where the creator lands after onboarding; the worker's /connect/return by default.",
    }),
  })
  .openapi("CreateAccountLink");

export const AccountLinkSchema = z
  .object({
    object: z.literal("account_link"),
    url: z.string().openapi({ description: "Single use; send the creator there now." }),
    expires_at: Instant,
  })
  .openapi("AccountLink");

/** The plain page onboarding returns the creator to: it says where to go next, and nothing else. */
export const onboardingPage = (title: string, text: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title></head><body style="font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem"><h1>${title}</h1><p>${text}</p></body></html>`;

export const htmlResponse = { description: "The page", content: { "text/html": { schema: z.string() } } };
