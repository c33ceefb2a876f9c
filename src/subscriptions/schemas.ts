/** What the API says about subscriptions: the view, and what a member or creator may change. */
import { z } from "@hono/zod-openapi";
import { subscriptionStatuses } from "../db/schema";

const DateTime = z.string().openapi({ format: "date-time" });

export const SubscriptionSchema = z
  .object({
    id: z.string().openapi({ example: "sub_4Jq…" }),
    object: z.literal("subscription"),
    member_id: z.string(),
    offer_id: z.string().openapi({ description: "The membership tier it pays for." }),
    status: z.enum(subscriptionStatuses),
    amount: z.int().openapi({ description: "Charged each period, in the currency's minor unit." }),
    currency: z.string().openapi({ example: "USD" }),
    interval: z.object({ unit: z.enum(["week", "month", "year"]), count: z.int() }),
    current_period_start: DateTime,
    current_period_end: DateTime,
    cancel_at_period_end: z.boolean(),
    access_ends_at: DateTime.nullable().openapi({
      description:
        "Until when the tier is granted (wall-clock), by the access policy: the period end plus a renewal " +
        "leeway while active, the period end when cancelling, a grace period while past_due, none when " +
        "paused, unpaid or canceled. Entitlement tokens never outlive it.",
    }),
    dunning: z
      .object({ failed_attempts: z.int(), next_retry_at: DateTime.nullable() })
      .nullable()
      .openapi({ description: "While a renewal is failing: how often it failed and when it is retried." }),
    clock: z.object({ offset_seconds: z.int(), now: DateTime }).openapi({
      description:
        "The subscription's own time: the sandbox billing clock runs ahead of the wall clock once a developer " +
        "advances it (POST /v1/dev/clock); periods above are on this clock. Always offset 0 with Stripe.",
    }),
    version: z.int(),
    created_at: DateTime,
  })
  .openapi("Subscription");
export type SubscriptionView = z.infer<typeof SubscriptionSchema>;

export const SubscriptionListSchema = z
  .object({ object: z.literal("list"), data: z.array(SubscriptionSchema) })
  .openapi("SubscriptionList");

export const UpdateSubscriptionBody = z
  .strictObject({
    cancel_at_period_end: z.boolean().optional().openapi({
      description: "true cancels at the end of the paid period (access lasts until then); false undoes it.",
    }),
    paused: z
      .boolean()
      .optional()
      .openapi({
        description:
          "true pauses now (no access, nothing charged); false resumes: free within the paid period, " +
          "otherwise a new period starts now and is charged with the saved card (402 if declined).",
      }),
    payment_method: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .openapi({
        description:
          "The card renewals are charged with (a Stripe PaymentMethod id, or a sandbox test card). While a " +
          "renewal is failing, the failed invoice is retried with it at once.",
        example: "4242424242424242",
      }),
  })
  .refine((b) => Object.keys(b).length > 0, { message: "Send at least one change" })
  .openapi("UpdateSubscription");

const DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/;
const MAX_ADVANCE_MS = 366 * 24 * 3600_000;

export const AdvanceClockBody = z
  .strictObject({
    by: z
      .string()
      .max(32)
      .regex(DURATION)
      .refine((v) => v !== "P" && v !== "PT", "An empty duration")
      // One call replays every step in between: a year at most keeps it one request's work.
      .refine((v) => durationMs(v) <= MAX_ADVANCE_MS, "At most a year (P52W) per call")
      .openapi({
        description: "An ISO 8601 duration in weeks, days, hours and minutes; a year at most.",
        example: "P3W",
      }),
  })
  .openapi("AdvanceClock");

/** Milliseconds in an ISO 8601 duration the body's pattern accepted. */
export function durationMs(by: string): number {
  const m = DURATION.exec(by);
  const [w, d, h, min] = [1, 2, 3, 4].map((i) => Number(m?.[i] ?? 0));
  return ((((w ?? 0) * 7 + (d ?? 0)) * 24 + (h ?? 0)) * 60 + (min ?? 0)) * 60_000;
}

export const ChangeQuoteBody = z
  .strictObject({ offer_id: z.string().min(1).max(64).openapi({ description: "The tier to switch to." }) })
  .openapi("SubscriptionChangeQuoteRequest");

export const ChangeQuoteSchema = z
  .object({
    object: z.literal("subscription_change_quote"),
    token: z
      .string()
      .openapi({ description: "Signed; apply it with POST …/tier-changes within 10 minutes." }),
    subscription_id: z.string(),
    from_offer_id: z.string(),
    to_offer_id: z.string(),
    currency: z.string(),
    new_amount: z.int().openapi({ description: "What each renewal charges after the switch." }),
    due_now: z.int().openapi({
      description: "Charged when applied: the rest of this period at the new price, less the old.",
    }),
    refund_now: z.int().openapi({ description: "Refunded when applied, for a switch down." }),
    expires_at: DateTime,
  })
  .openapi("SubscriptionChangeQuote");

export const ApplyChangeBody = z
  .strictObject({ quote: z.string().min(1).max(4096) })
  .openapi("SubscriptionTierChange");
