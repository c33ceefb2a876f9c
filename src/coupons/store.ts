import { and, count, eq, sql } from "drizzle-orm";
import { type Db, expectOneChange, type Write } from "../db/client";
import { type CouponRow, couponRedemptions, coupons } from "../db/schema";
import { fromBps } from "../lib/percent";
import { toIso, toIsoOrNull } from "../lib/time";
import { normalizeCode, parseOfferIds } from "./rules";
import type { Coupon } from "./schemas";

/** The API view of a coupon. Pure, so a write can return what it is about to store without reading it back. */
export function renderCoupon(row: CouponRow): Coupon {
  return {
    id: row.id,
    object: "coupon",
    code: row.code,
    percent_off: row.percentOffBps === null ? null : fromBps(row.percentOffBps),
    amount_off:
      row.amountOff === null || row.currency === null
        ? null
        : { currency: row.currency, amount: row.amountOff },
    offer_ids: parseOfferIds(row.offerIds),
    expires_at: toIsoOrNull(row.expiresAt),
    max_redemptions: row.maxRedemptions,
    max_per_buyer: row.maxPerBuyer,
    redeemed_count: row.redeemedCount,
    status: row.status,
    created_at: toIso(row.createdAt),
    updated_at: toIso(row.updatedAt),
  };
}

export async function findCoupon(db: Db, creatorId: string, id: string): Promise<CouponRow | undefined> {
  const [row] = await db
    .select()
    .from(coupons)
    .where(and(eq(coupons.creatorId, creatorId), eq(coupons.id, id)))
    .limit(1);
  return row;
}

export async function findCouponByCode(
  db: Db,
  creatorId: string,
  code: string,
): Promise<CouponRow | undefined> {
  const [row] = await couponByCodeRead(db, creatorId, code);
  return row;
}

/** The coupon with this code, as one statement for a caller's batch. */
export const couponByCodeRead = (db: Db, creatorId: string, code: string) =>
  db
    .select()
    .from(coupons)
    .where(and(eq(coupons.creatorId, creatorId), eq(coupons.code, normalizeCode(code))))
    .limit(1);

/**
 * The statements that redeem a coupon for a paid order, for the same D1 batch that marks the order
 * paid. Each is guarded and followed by expectOneChange, so a batch that would pass max_redemptions or
 * max_per_buyer, or redeem an archived coupon, fails and lands nothing: the order is not marked paid
 * either. The guards run inside the batch's transaction, so concurrent redemptions cannot both pass the
 * last slot. A second redemption for the same order fails on the (coupon_id, order_id) key, never
 * counting twice. Expiry is not checked: a buyer who was quoted the coupon keeps it through payment.
 */
export function redemptionWrites(
  db: Db,
  r: { couponId: string; orderId: string; buyerKey: string; now: number },
): Write[] {
  return [
    db
      .update(coupons)
      .set({ redeemedCount: sql`${coupons.redeemedCount} + 1`, updatedAt: r.now })
      .where(
        and(
          eq(coupons.id, r.couponId),
          eq(coupons.status, "active"),
          sql`(${coupons.maxRedemptions} IS NULL OR ${coupons.redeemedCount} < ${coupons.maxRedemptions})`,
        ),
      ),
    expectOneChange(db),
    // INSERT … SELECT from the coupon's own row: one row when the buyer is under max_per_buyer, else none.
    db.insert(couponRedemptions).select(
      db
        .select({
          couponId: coupons.id,
          orderId: sql<string>`${r.orderId}`.as("order_id"),
          buyerKey: sql<string>`${r.buyerKey}`.as("buyer_key"),
          redeemedAt: sql<number>`${r.now}`.as("redeemed_at"),
        })
        .from(coupons)
        .where(
          and(
            eq(coupons.id, r.couponId),
            sql`(SELECT count(*) FROM ${couponRedemptions} WHERE ${couponRedemptions.couponId} = ${r.couponId} AND ${couponRedemptions.buyerKey} = ${r.buyerKey}) < coalesce(${coupons.maxPerBuyer}, 9223372036854775807)`,
          ),
        ),
    ),
    expectOneChange(db),
  ];
}

/** Everything that decides a redemption, in one round trip: the coupon, this order's row, the buyer's count. */
export async function redemptionState(
  db: Db,
  r: { creatorId: string; couponId: string; orderId: string; buyerKey: string },
): Promise<{ coupon: CouponRow | undefined; alreadyRedeemed: boolean; buyerRedemptions: number }> {
  const [found, existing, counted] = await db.batch([
    db
      .select()
      .from(coupons)
      .where(and(eq(coupons.creatorId, r.creatorId), eq(coupons.id, r.couponId)))
      .limit(1),
    db
      .select({ orderId: couponRedemptions.orderId })
      .from(couponRedemptions)
      .where(and(eq(couponRedemptions.couponId, r.couponId), eq(couponRedemptions.orderId, r.orderId))),
    db
      .select({ n: count() })
      .from(couponRedemptions)
      .where(and(eq(couponRedemptions.couponId, r.couponId), eq(couponRedemptions.buyerKey, r.buyerKey))),
  ]);
  return { coupon: found[0], alreadyRedeemed: existing.length > 0, buyerRedemptions: counted[0]?.n ?? 0 };
}
