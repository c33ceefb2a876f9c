/**
 * A creator's subscription settings: the renewal leeway (at least an hour), the past_due grace (never
 * past the dunning deadline) and what the last failed retry leaves (`unpaid`, resumable, or
 * `canceled`). They apply to every subscription of the creator at its next change or step.
 */
import { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { auditWrite } from "../audit";
import type { Call } from "../context";
import { creators, offers } from "../db/schema";
import { invalid } from "../errors";
import { MIN_RENEWAL_LEEWAY_MS } from "./access";
import { DUNNING_MS } from "./billing";
import { type BillingSettings, DEFAULT_SETTINGS, policyOf, settingsColumns } from "./store";

const HOUR = 3600_000;
const MINUTE = 60_000;

export const SubscriptionSettingsBody = z
  .strictObject({
    renewal_leeway_minutes: z
      .int()
      .min(MIN_RENEWAL_LEEWAY_MS / MINUTE)
      .max(7 * 24 * 60)
      .openapi({ description: "Access past an active period's end while its renewal lands (at least 60)." }),
    past_due_grace_hours: z
      .int()
      .min(0)
      .max(DUNNING_MS / HOUR)
      .openapi({ description: "How long a member whose renewal is failing keeps access (0 to 168)." }),
    dunning_outcome: z
      .enum(["unpaid", "canceled"])
      .openapi({ description: "What the subscription becomes when the last retry (day 7) fails." }),
    past_due_downgrade_offer_id: z
      .string()
      .min(1)
      .max(64)
      .nullable()
      .default(null)
      .openapi({
        description:
          "A lower membership tier a past_due member keeps once grace ends, until the dunning deadline, " +
          "instead of nothing; null (the default) for none.",
      }),
  })
  .openapi("SubscriptionSettingsRequest");

export const SubscriptionSettingsSchema = SubscriptionSettingsBody.extend({
  object: z.literal("subscription_settings"),
}).openapi("SubscriptionSettings");
export type SubscriptionSettingsView = z.infer<typeof SubscriptionSettingsSchema>;

const render = (s: BillingSettings): SubscriptionSettingsView => {
  const policy = policyOf(s);
  return {
    object: "subscription_settings",
    renewal_leeway_minutes: Math.round(policy.renewalLeewayMs / MINUTE),
    past_due_grace_hours: Math.round(policy.graceMs / HOUR),
    dunning_outcome: s.dunningOutcome,
    past_due_downgrade_offer_id: s.downgradeOfferId,
  };
};

export async function getSubscriptionSettings({ ctx }: Call<unknown>): Promise<SubscriptionSettingsView> {
  const [row] = await ctx.db
    .select(settingsColumns)
    .from(creators)
    .where(eq(creators.id, ctx.creatorId))
    .limit(1);
  return render(row ?? DEFAULT_SETTINGS);
}

export async function putSubscriptionSettings({
  ctx,
  input,
}: Call<z.infer<typeof SubscriptionSettingsBody>>): Promise<SubscriptionSettingsView> {
  const downgrade = input.past_due_downgrade_offer_id;
  if (downgrade !== null) {
    const [tier] = await ctx.db
      .select({ id: offers.id })
      .from(offers)
      .where(
        and(
          eq(offers.id, downgrade),
          eq(offers.creatorId, ctx.creatorId),
          eq(offers.kind, "membership"),
          eq(offers.status, "active"),
        ),
      )
      .limit(1);
    if (tier === undefined) {
      throw invalid([
        { in: "body", path: "/past_due_downgrade_offer_id", message: "No such active membership tier" },
      ]);
    }
  }
  const settings: BillingSettings = {
    leewayMs: input.renewal_leeway_minutes * MINUTE,
    graceMs: input.past_due_grace_hours * HOUR,
    dunningOutcome: input.dunning_outcome,
    downgradeOfferId: downgrade,
  };
  const view = render(settings);
  await ctx.commit(
    [
      ctx.db
        .update(creators)
        .set({
          subscriptionLeewayMs: settings.leewayMs,
          subscriptionGraceMs: settings.graceMs,
          dunningOutcome: settings.dunningOutcome,
          subscriptionDowngradeOfferId: settings.downgradeOfferId,
        })
        .where(eq(creators.id, ctx.creatorId)),
      auditWrite(ctx, "subscription_settings.updated", { type: "creator", id: ctx.creatorId }, view),
    ],
    view,
  );
  return view;
}
