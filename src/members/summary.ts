/**
 * A member with everything the creator wants to see about them (issue 17, part 1): the member, their
 * subscriptions, their entitlements (active and revoked) and a first page of their orders, read in ONE
 * D1 batch. Another creator's member is 404: every statement is scoped to the caller's creator, and the
 * member's own row decides.
 */
import { z } from "@hono/zod-openapi";
import { and, desc, eq, getTableColumns } from "drizzle-orm";
import { OrderSchema } from "../checkout/schemas";
import { renderOrder } from "../checkout/store";
import type { Call } from "../context";
import { keyset } from "../db/keyset";
import { creators, entitlements, members, orders, subscriptions } from "../db/schema";
import { EntitlementSchema } from "../entitlements/schemas";
import { renderEntitlement } from "../entitlements/store";
import { notFound } from "../errors";
import { pageOf } from "../http/pagination";
import { SubscriptionSchema } from "../subscriptions/schemas";
import { billingSettingsOf, DEFAULT_SETTINGS, settingsColumns } from "../subscriptions/store";
import { renderSubscription } from "../subscriptions/verbs";
import { MemberSchema } from "./schemas";
import { activeTierOfferId } from "./tier";
import { renderMember } from "./verbs";

/** How many of each related list the summary carries; a member past these is rare, and `has_more` says so. */
export const SUMMARY_LIMITS = { subscriptions: 50, entitlements: 100, orders: 10 } as const;

const Capped = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), has_more: z.boolean() });

export const MemberSummarySchema = z
  .object({
    object: z.literal("member_summary"),
    member: MemberSchema,
    subscriptions: Capped(SubscriptionSchema).openapi({
      description: `Newest first, at most ${SUMMARY_LIMITS.subscriptions}; as stored (a renewal already due shows once the sweep or a read of the subscription runs it).`,
    }),
    entitlements: Capped(EntitlementSchema).openapi({
      description: `Active and revoked, newest grant first, at most ${SUMMARY_LIMITS.entitlements}.`,
    }),
    orders: pageOf(OrderSchema)
      .extend({
        url: z.string().openapi({ description: "The full list: pass `next_cursor` to it as `cursor`." }),
      })
      .openapi({
        description: `The ${SUMMARY_LIMITS.orders} newest orders; the rest page on at \`url\` with \`next_cursor\`.`,
      }),
  })
  .openapi("MemberSummary");
export type MemberSummaryView = z.infer<typeof MemberSummarySchema>;

/** The member, their subscriptions, entitlements and first page of orders: one D1 batch of five reads. */
export async function memberSummary({ ctx, input }: Call<{ id: string }>): Promise<MemberSummaryView> {
  const { db, creatorId } = ctx;
  const page = keyset(orders.createdAt, orders.id, { limit: SUMMARY_LIMITS.orders });
  const [member, subs, settings, granted, bought] = await db.batch([
    db
      .select({ ...getTableColumns(members), tierOfferId: activeTierOfferId(ctx.now).as("tier_offer_id") })
      .from(members)
      .where(and(eq(members.creatorId, creatorId), eq(members.id, input.id)))
      .limit(1),
    db
      .select()
      .from(subscriptions)
      .where(and(eq(subscriptions.creatorId, creatorId), eq(subscriptions.memberId, input.id)))
      .orderBy(desc(subscriptions.createdAt), desc(subscriptions.id))
      .limit(SUMMARY_LIMITS.subscriptions + 1),
    db.select(settingsColumns).from(creators).where(eq(creators.id, creatorId)).limit(1),
    db
      .select()
      .from(entitlements)
      .where(and(eq(entitlements.creatorId, creatorId), eq(entitlements.memberId, input.id)))
      .orderBy(desc(entitlements.grantedAt), desc(entitlements.id))
      .limit(SUMMARY_LIMITS.entitlements + 1),
    db
      .select()
      .from(orders)
      .where(and(eq(orders.creatorId, creatorId), eq(orders.memberId, input.id)))
      .orderBy(...page.orderBy)
      .limit(page.fetch),
  ]);
  const row = member[0];
  if (row === undefined) throw notFound("member", input.id);
  const billing = settings[0] === undefined ? DEFAULT_SETTINGS : billingSettingsOf(settings[0]);
  const capped = <Row, Item>(rows: Row[], limit: number, render: (r: Row) => Item) => ({
    data: rows.slice(0, limit).map(render),
    has_more: rows.length > limit,
  });
  return {
    object: "member_summary",
    member: renderMember(row),
    subscriptions: capped(subs, SUMMARY_LIMITS.subscriptions, (s) =>
      renderSubscription({ row: s, settings: billing }, ctx.now),
    ),
    entitlements: capped(granted, SUMMARY_LIMITS.entitlements, renderEntitlement),
    orders: {
      ...page.page(bought, (o) => ({ t: o.createdAt, id: o.id }), renderOrder),
      url: `/v1/orders?member_id=${encodeURIComponent(input.id)}`,
    },
  };
}
