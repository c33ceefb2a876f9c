/**
 * Which audit actions become public webhook events, and under what type. One table: an action not
 * listed here (keys rotated, settings changed, internal bookkeeping) is never sent. The public type is
 * the audit action's own name, so the audit log of a subject and its webhook history read alike.
 * docs/webhooks.md lists each type with its subject and the `changes` it carries.
 */
export const eventTypes = [
  // Orders: paid, refunded, failed, cancelled, collected at a till, and their disputes.
  "order.paid",
  "order.refunded",
  "order.failed",
  "order.cancelled",
  "order.collected",
  "order.disputed",
  "order.dispute_inquiry",
  "order.dispute_updated",
  "order.dispute_closed",
  "order.dispute_won",
  "order.dispute_lost",
  // Checkouts (their subject is the order they pay for).
  "checkout.created",
  "checkout.requires_action",
  // Access.
  "entitlement.granted",
  "entitlement.revoked",
  // Memberships.
  "subscription.started",
  "subscription.updated",
  "subscription.canceled",
  "subscription.resumed",
  "subscription.ended",
  "subscription.tier_changed",
  "subscription.refunded",
  // Members: the first time a buyer becomes one of the creator's members.
  "member.created",
  // Drops: created, changed, and their lifecycle (started and ended from its window, sold out, closed).
  "drop.created",
  "drop.updated",
  "drop.started",
  "drop.sold_out",
  "drop.ended",
  "drop.closed",
  // Point of sale: a device's signed batch landed.
  "pos.batch_reconciled",
  // Payouts (Stripe Connect): the creator's connected account linked or its readiness changed, and its
  // share of a payment taken back (a refund, a dispute) or sent again (a dispute won).
  "connect.account_linked",
  "connect.account_updated",
  "connect.transfer_reversed",
  "connect.transfer_sent",
  // Sent only by POST /v1/webhook-endpoints/{id}/test, to that endpoint.
  "webhook.test",
] as const;

export type EventType = (typeof eventTypes)[number];

const fromAudit = new Set<string>(eventTypes.filter((t) => t !== "webhook.test"));

/** The public event type of an audit action, or null when the action is not sent. */
export const eventTypeFor = (action: string): EventType | null =>
  fromAudit.has(action) ? (action as EventType) : null;
