/**
 * What a subscription's change writes besides its own row: the tier entitlement it grants (moved to the
 * access end on the wall clock, or revoked), and the MRR movement when recurring revenue changed.
 */
import { sql } from "drizzle-orm";
import type { Write } from "../db/client";
import {
  auditEvents,
  entitlements,
  mrrMovements,
  type revocationReasons,
  type SubscriptionRow,
} from "../db/schema";
import { newId } from "../lib/ids";
import type { SubscriptionState } from "./access";
import { monthlyAmount } from "./intervals";
import type { SubscriptionContext } from "./store";

type RevokeReason = (typeof revocationReasons)[number];

/**
 * The tier entitlement this subscription grants, until `access` (its time; revoked when null), and the
 * first time it is held its `entitlement.granted` audit row (for the audit log and the creator's
 * webhooks): written once per entitlement, however often a renewal moves its end.
 */
export function entitlementWrites(
  ctx: SubscriptionContext,
  row: SubscriptionRow,
  access: number | null,
  reason: RevokeReason = "cancellation",
): Write[] {
  const upsert = entitlementWrite(ctx, row, access, reason);
  if (access === null) return [upsert];
  return [
    upsert,
    ctx.db.insert(auditEvents).select(sql`
      SELECT ${newId("audit")}, e.creator_id, ${ctx.actor}, 'entitlement.granted', 'entitlement', e.id,
             json_object('member_id', e.member_id, 'benefit_key', e.benefit_key, 'source_type', e.source_type,
                         'source_id', e.source_id, 'expires_at', e.expires_at), ${ctx.now}
      FROM entitlements AS e
      WHERE e.creator_id = ${row.creatorId} AND e.source_type = 'subscription' AND e.source_id = ${row.id}
        AND e.benefit_key = ${row.offerId} AND e.revoked_at IS NULL
        AND NOT EXISTS (SELECT 1 FROM audit_events AS a WHERE a.creator_id = e.creator_id
                        AND a.subject_type = 'entitlement' AND a.subject_id = e.id
                        AND a.action = 'entitlement.granted')`),
  ];
}

function entitlementWrite(
  ctx: SubscriptionContext,
  row: SubscriptionRow,
  access: number | null,
  reason: RevokeReason,
): Write {
  const ended = access === null;
  const changes = {
    offerId: row.offerId,
    expiresAt: ended ? ctx.now : access - row.clockOffsetMs,
    revokedAt: ended ? ctx.now : null,
    revokeReason: ended ? reason : null,
  };
  return ctx.db
    .insert(entitlements)
    .values({
      id: newId("entitlement"),
      creatorId: row.creatorId,
      memberId: row.memberId,
      benefitKey: row.offerId,
      sourceType: "subscription",
      sourceId: row.id,
      grantedAt: ctx.now,
      ...changes,
    })
    .onConflictDoUpdate({
      target: [
        entitlements.creatorId,
        entitlements.sourceType,
        entitlements.sourceId,
        entitlements.benefitKey,
      ],
      set: changes,
    });
}

/** MRR counts active and past_due subscriptions, normalised to a month (intervals.ts). */
const mrrOf = (
  row: Pick<SubscriptionRow, "amount" | "intervalUnit" | "intervalCount">,
  s: SubscriptionState,
) =>
  s.status === "active" || s.status === "past_due"
    ? Math.round(monthlyAmount(row.amount, { unit: row.intervalUnit, count: row.intervalCount }))
    : 0;

/** The movement a change makes, as Stripe and ChartMogul classify it; none when MRR stayed the same. */
export function movementWrites(
  ctx: SubscriptionContext,
  row: SubscriptionRow,
  before: SubscriptionState,
  after: SubscriptionState,
  was: SubscriptionRow = row,
): Write[] {
  const [from, to] = [mrrOf(was, before), mrrOf(row, after)];
  if (from === to) return [];
  const neverCounted = before.status === "incomplete" || before.status === "trialing";
  const kind =
    from === 0
      ? neverCounted
        ? "new"
        : "reactivation"
      : to === 0
        ? "churn"
        : to > from
          ? "expansion"
          : "contraction";
  return [
    ctx.db.insert(mrrMovements).values({
      id: newId("mrrMovement"),
      creatorId: row.creatorId,
      subscriptionId: row.id,
      kind,
      amount: to - from,
      currency: row.currency,
      at: ctx.now + row.clockOffsetMs,
      createdAt: ctx.now,
    }),
  ];
}
