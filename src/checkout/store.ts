/** Checkout and order rows in D1: lookups, the rows a new checkout writes, and how a checkout renders. */
import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { type CheckoutRow, checkouts, members, type OrderRow, orders } from "../db/schema";
import { notFound } from "../errors";
import { renderFulfilment, renderShippingAddress } from "../fulfilment/store";
import { sha256Hex } from "../lib/crypto";
import { toIso, toIsoOrNull } from "../lib/time";
import { type CohortRules, cohortFor, cohortRulesOf } from "../members/cohorts";
import type { PriceLine } from "../pricing/engine";
import { memberCreatedWrite } from "../webhooks/lifecycle";
import type { CheckoutView, OrderView } from "./schemas";

/**
 * A checkout's ids follow from its creator, Idempotency-Key and quote, so a retry after a crash, which
 * runs afresh once the key's lock lapses, meets the same order, hold and payment instead of making new
 * ones. The quote is part of it: the same key with another quote (after a refused create dropped the
 * key, or after the key's 24 hours) names another checkout, never the first one's order or payment.
 */
export async function checkoutIds(creatorId: string, idempotencyKey: string, quoteId: string) {
  const digest = await sha256Hex(`checkout\n${creatorId}\n${idempotencyKey}\n${quoteId}`);
  const token = digest.slice(0, 30);
  return { checkoutId: `chk_${token}`, orderId: `ord_${token}` };
}

/** One hold a checkout took; a bundle's checkout holds one per component drop. */
export interface HeldUnits {
  dropId: string;
  holdId: string;
  quantity: number;
}

/** Every hold of a checkout (older rows name at most one, in `dropId` and `holdId`). */
export function holdsOf(checkout: CheckoutRow, quantity: number): HeldUnits[] {
  if (checkout.holds !== null) return JSON.parse(checkout.holds) as HeldUnits[];
  if (checkout.dropId === null || checkout.holdId === null) return [];
  return [{ dropId: checkout.dropId, holdId: checkout.holdId, quantity }];
}

export async function loadCheckout(db: Db, id: string) {
  const [row] = await db
    .select({ checkout: checkouts, order: orders })
    .from(checkouts)
    .innerJoin(orders, eq(orders.id, checkouts.orderId))
    .where(eq(checkouts.id, id))
    .limit(1);
  return row;
}

/** Only the holder of the checkout's secret sees it; anyone else gets 404, as if it did not exist. */
export async function ownedCheckout(db: Db, id: string, secret: string) {
  const loaded = await loadCheckout(db, id);
  const matches =
    loaded !== undefined &&
    secret.startsWith(`${id}_secret_`) &&
    (await sha256Hex(secret)) === loaded.checkout.secretHash;
  if (!matches) throw notFound("checkout", id);
  return loaded;
}

/** The member with this email at this creator, created (as a checkout buyer) if there is none. */
export async function memberForEmail(
  db: Db,
  p: { creatorId: string; email: string; source: string; now: number; newId: string },
): Promise<string> {
  const [found] = await memberByEmailRead(db, p.creatorId, p.email);
  if (found) return found.id;
  await db.batch([
    newMemberWrite(db, p, await cohortRulesOf(db, p.creatorId, p.now)),
    memberCreatedWrite(db, { ...p, memberId: p.newId, actor: "system" }),
  ]);
  const [created] = await memberByEmailRead(db, p.creatorId, p.email);
  if (created === undefined) throw new Error("member insert vanished");
  return created.id;
}

/** The member with this email at this creator, as one statement for a caller's batch. */
export const memberByEmailRead = (db: Db, creatorId: string, email: string) =>
  db
    .select({ id: members.id })
    .from(members)
    .where(and(eq(members.creatorId, creatorId), eq(members.email, email)))
    .limit(1);

/** A new member for this email (a checkout buyer), unless one exists already. */
export const newMemberWrite = (
  db: Db,
  p: { creatorId: string; email: string; source: string; now: number; newId: string },
  rules: CohortRules,
) =>
  db
    .insert(members)
    .values({
      id: p.newId,
      creatorId: p.creatorId,
      email: p.email,
      cohort: cohortFor(rules, { at: p.now, atPopUp: false }),
      acquisitionSource: p.source,
      joinedAt: p.now,
      updatedAt: p.now,
    })
    .onConflictDoNothing();

/**
 * A checkout's row and its order's, as two statements for a caller's batch: a batch answers rows keyed
 * by column name, so the join loadCheckout makes (both tables have `id`, `status`…) cannot go in one.
 */
export const checkoutRowsRead = (db: Db, checkoutId: string, orderId: string) =>
  [
    db.select().from(checkouts).where(eq(checkouts.id, checkoutId)).limit(1),
    db.select().from(orders).where(eq(orders.id, orderId)).limit(1),
  ] as const;

export function renderCheckout(checkout: CheckoutRow, order: OrderRow): CheckoutView {
  const failed = checkout.failureCode ?? checkout.declineCode;
  return {
    id: checkout.id,
    object: "checkout",
    status: checkout.status,
    order_id: order.id,
    offer_id: order.offerId,
    drop_id: order.dropId,
    quantity: order.quantity,
    amount: order.amountTotal,
    currency: order.currency,
    lines: JSON.parse(checkout.lines) as PriceLine[],
    email: checkout.email,
    member_id: checkout.memberId,
    hold:
      checkout.holdId === null
        ? null
        : {
            id: checkout.holdId,
            expires_at: toIsoOrNull(checkout.holdExpiresAt),
            extended: checkout.holdExtended,
          },
    payment: {
      provider: checkout.provider,
      id: checkout.paymentId,
      client_secret:
        checkout.status === "pending" || checkout.status === "requires_action" ? checkout.clientSecret : null,
      next_action:
        checkout.status === "requires_action" && checkout.nextAction !== null
          ? (JSON.parse(checkout.nextAction) as { type: string; redirectUrl: string | null })
          : null,
    },
    failure:
      failed == null
        ? null
        : {
            code: checkout.failureCode ?? "card_declined",
            decline_code: checkout.declineCode,
            message: checkout.failureMessage,
          },
    auto_refund_reason: checkout.autoRefundReason,
    created_at: toIso(checkout.createdAt),
    paid_at: toIsoOrNull(order.paidAt),
  };
}

export const renderOrder = (order: OrderRow): OrderView => ({
  id: order.id,
  object: "order",
  status: order.status,
  offer_id: order.offerId,
  drop_id: order.dropId,
  quantity: order.quantity,
  amount: order.amountTotal,
  currency: order.currency,
  email: order.email,
  member_id: order.memberId,
  source: order.source,
  payment: { provider: order.provider, id: order.providerPaymentId, reference: order.paymentReference },
  created_at: toIso(order.createdAt),
  paid_at: toIsoOrNull(order.paidAt),
  dispute:
    order.disputeId === null || order.disputedAt === null
      ? null
      : {
          id: order.disputeId,
          status: order.disputeStatus ?? "unknown",
          disputed_at: toIso(order.disputedAt),
        },
  shipping_address: renderShippingAddress(order),
  fulfilment: renderFulfilment(order),
  payout:
    order.destinationAccount === null
      ? null
      : {
          destination_account: order.destinationAccount,
          platform_fee: order.platformFeeAmount ?? 0,
          creator_share: order.amountTotal - (order.platformFeeAmount ?? 0),
        },
});
