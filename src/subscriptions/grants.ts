/**
 * What a subscription's change writes besides its own row: the tier entitlement it grants (moved to the
 * access end on the wall clock, or revoked), and the MRR movement when recurring revenue changed.
 */
import type { Write } from "../db/client";
import { entitlements, mrrMovements, type revocationReasons, type SubscriptionRow } from "../db/schema";
import { newId } from "../lib/ids";
import type { SubscriptionState } from "./access";
import { monthlyAmount } from "./intervals";
import type { SubscriptionContext } from "./store";

type RevokeReason = (typeof revocationReasons)[number];

/** The tier entitlement this subscription grants, until `access` (its time; revoked when null). */
export function entitlementWrite(
  ctx: SubscriptionContext,
  row: SubscriptionRow,
  access: number | null,
  reason: RevokeReason = "cancellation",
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
