import { and, count, eq, inArray } from "drizzle-orm";
import { auditWrite } from "../audit";
import type { Call, TenantContext } from "../context";
import type { Db } from "../db/client";
import { listOwned } from "../db/keyset";
import { type CouponRow, couponRedemptions, coupons, offers } from "../db/schema";
import { AppError, type FieldError, invalid, notFound } from "../errors";
import { newId } from "../lib/ids";
import { toBps } from "../lib/percent";
import type { CouponTerms } from "../pricing/engine";
import {
  couponRefusal,
  couponShapeErrors,
  couponTerms,
  exhaustion,
  expiryErrors,
  normalizeCode,
} from "./rules";
import type { Coupon, CreateCouponInput, UpdateCouponInput } from "./schemas";
import { findCoupon, findCouponByCode, redemptionState, redemptionWrites, renderCoupon } from "./store";

// Checkout puts these in the batch that marks an order paid; the coupon module's verbs are its one door.
export { redemptionWrites };

export async function createCoupon({ ctx, input }: Call<CreateCouponInput>): Promise<Coupon> {
  const shapeErrors = couponShapeErrors(input, ctx.now);
  if (shapeErrors.length > 0) throw invalid(shapeErrors);
  const offerErrors = await offerIdErrors(ctx, input.offer_ids);
  if (offerErrors.length > 0) throw invalid(offerErrors);
  const code = normalizeCode(input.code);
  await assertCodeFree(ctx, code);
  const row: CouponRow = {
    id: newId("coupon"),
    creatorId: ctx.creatorId,
    code,
    percentOffBps: input.percent_off === undefined ? null : toBps(input.percent_off),
    amountOff: input.amount_off?.amount ?? null,
    currency: input.amount_off?.currency ?? null,
    offerIds: input.offer_ids === undefined ? null : JSON.stringify(input.offer_ids),
    expiresAt: input.expires_at === undefined ? null : Date.parse(input.expires_at),
    maxRedemptions: input.max_redemptions ?? null,
    maxPerBuyer: input.max_per_buyer ?? null,
    redeemedCount: 0,
    status: "active",
    createdAt: ctx.now,
    updatedAt: ctx.now,
  };
  const coupon = renderCoupon(row);
  try {
    await ctx.commit(
      [
        ctx.db.insert(coupons).values(row),
        auditWrite(ctx, "coupon.created", { type: "coupon", id: row.id }, coupon),
      ],
      coupon,
    );
  } catch (error) {
    // A concurrent create may have taken the code since our check: the unique index refused us.
    await assertCodeFree(ctx, code);
    throw error;
  }
  return coupon;
}

export async function updateCoupon({
  ctx,
  input,
}: Call<{ id: string; changes: UpdateCouponInput }>): Promise<Coupon> {
  const { changes } = input;
  const existing = await findCoupon(ctx.db, ctx.creatorId, input.id);
  if (existing === undefined) throw notFound("coupon", input.id);
  const errors = expiryErrors(changes.expires_at, ctx.now);
  if (errors.length > 0) throw invalid(errors);
  const maxRedemptions =
    changes.max_redemptions === undefined ? existing.maxRedemptions : changes.max_redemptions;
  if (maxRedemptions !== null && maxRedemptions < existing.redeemedCount) {
    throw capBelowRedeemed(existing.redeemedCount);
  }
  const row: CouponRow = {
    ...existing,
    status: changes.status ?? existing.status,
    expiresAt:
      changes.expires_at === undefined
        ? existing.expiresAt
        : changes.expires_at === null
          ? null
          : Date.parse(changes.expires_at),
    maxRedemptions,
    updatedAt: ctx.now,
  };
  // redeemed_count is as of our read; payments may move it meanwhile, which is why the update never sets it.
  const coupon = renderCoupon(row);
  try {
    await ctx.commit(
      [
        ctx.db
          .update(coupons)
          .set({
            status: row.status,
            expiresAt: row.expiresAt,
            maxRedemptions: row.maxRedemptions,
            updatedAt: row.updatedAt,
          })
          .where(and(eq(coupons.creatorId, ctx.creatorId), eq(coupons.id, existing.id))),
        auditWrite(ctx, "coupon.updated", { type: "coupon", id: existing.id }, { changes }),
      ],
      coupon,
    );
  } catch (error) {
    // Redemptions since our read may have passed the new cap: the coupons_redemptions CHECK refused it.
    const current = await findCoupon(ctx.db, ctx.creatorId, existing.id);
    if (current && maxRedemptions !== null && current.redeemedCount > maxRedemptions) {
      throw capBelowRedeemed(current.redeemedCount);
    }
    throw error;
  }
  return coupon;
}

export async function getCoupon({ ctx, input }: Call<{ id: string }>): Promise<Coupon> {
  const row = await findCoupon(ctx.db, ctx.creatorId, input.id);
  if (row === undefined) throw notFound("coupon", input.id);
  return renderCoupon(row);
}

export async function listCoupons({
  ctx,
  input,
}: Call<{ limit: number; cursor?: string | undefined; status?: CouponRow["status"] | undefined }>) {
  const listed = await listOwned(ctx.db, coupons, {
    time: coupons.createdAt,
    creatorId: ctx.creatorId,
    filter: input.status ? eq(coupons.status, input.status) : undefined,
    query: input,
    position: (r) => ({ t: r.createdAt, id: r.id }),
  });
  return { ...listed, data: listed.data.map(renderCoupon) };
}

/**
 * The coupon a buyer typed, checked for this offer, currency and buyer, as the pricing engine takes it;
 * otherwise an AppError with the coupon_* code that says why not. Reads D1 afresh every time, never a
 * cache, so a quote cannot promise a coupon that is already used up. One round trip: the coupon row and
 * the buyer's redemptions (found through the code, since the id is not known yet) in one batch.
 */
export async function couponForQuote(
  db: Db,
  q: { creatorId: string; code: string; offerId: string; currency: string; buyerKey: string; now: number },
): Promise<QuotedCoupon> {
  const byCode = and(eq(coupons.creatorId, q.creatorId), eq(coupons.code, normalizeCode(q.code)));
  const [found, counted] = await db.batch([
    db.select().from(coupons).where(byCode).limit(1),
    db
      .select({ n: count() })
      .from(couponRedemptions)
      .where(
        and(
          inArray(couponRedemptions.couponId, db.select({ id: coupons.id }).from(coupons).where(byCode)),
          eq(couponRedemptions.buyerKey, q.buyerKey),
        ),
      ),
  ]);
  const [coupon] = found;
  const refusal = couponRefusal(coupon, {
    offerId: q.offerId,
    currency: q.currency,
    now: q.now,
    buyerRedemptions: counted[0]?.n ?? 0,
  });
  if (refusal !== null || coupon === undefined) {
    throw new AppError(refusal?.code ?? "coupon_unknown", refusal?.detail ?? "No such coupon.");
  }
  return { terms: couponTerms(coupon), expiresAt: coupon.expiresAt };
}

/** A coupon a quote may carry, and when it stops being usable: the quote must not outlive it. */
export interface QuotedCoupon {
  terms: CouponTerms;
  expiresAt: number | null;
}

export interface RedeemInput {
  couponId: string;
  orderId: string;
  buyerKey: string;
}

export interface Redemption {
  coupon_id: string;
  order_id: string;
  buyer_key: string;
  /** True when this order had already redeemed the coupon: nothing was counted again. */
  replayed: boolean;
}

/**
 * Redeems a coupon for a paid order on its own, with its audit row (checkout puts redemptionWrites in
 * its own batch instead). The guarded writes decide; when they refuse, a fresh read says why, and since
 * counts only grow, what refused us is still there to see. Redeeming the same order again is a success
 * that counts nothing.
 */
export async function redeemCoupon({ ctx, input }: Call<RedeemInput>): Promise<Redemption> {
  const key = { creatorId: ctx.creatorId, ...input };
  const result: Redemption = {
    coupon_id: input.couponId,
    order_id: input.orderId,
    buyer_key: input.buyerKey,
    replayed: false,
  };
  if (refuseOrReplay(await redemptionState(ctx.db, key))) return { ...result, replayed: true };
  try {
    await ctx.commit(
      [
        ...redemptionWrites(ctx.db, { ...input, now: ctx.now }),
        auditWrite(
          ctx,
          "coupon.redeemed",
          { type: "coupon", id: input.couponId },
          { order_id: input.orderId, buyer_key: input.buyerKey },
        ),
      ],
      result,
    );
  } catch (error) {
    if (refuseOrReplay(await redemptionState(ctx.db, key))) return { ...result, replayed: true };
    throw error;
  }
  return result;
}

/** True when the order already redeemed the coupon; throws when the coupon cannot be redeemed. */
function refuseOrReplay(state: Awaited<ReturnType<typeof redemptionState>>): boolean {
  const { coupon } = state;
  // Another creator's coupon id reads as unknown, like an archived one.
  if (coupon === undefined) throw new AppError("coupon_unknown", "No such coupon.");
  if (state.alreadyRedeemed) return true;
  if (coupon.status !== "active") throw new AppError("coupon_unknown", "No such coupon.");
  const refusal = exhaustion(coupon, state.buyerRedemptions);
  if (refusal !== null) throw new AppError(refusal.code, refusal.detail);
  return false;
}

const capBelowRedeemed = (redeemed: number) =>
  new AppError("conflict", `max_redemptions cannot go below the ${redeemed} redemptions already made.`);

async function assertCodeFree(ctx: TenantContext, code: string): Promise<void> {
  const clash = await findCouponByCode(ctx.db, ctx.creatorId, code);
  if (clash) throw new AppError("conflict", `The code ${code} is already used by coupon ${clash.id}.`);
}

/** Offer ids must be this creator's offers; another creator's id reads as unknown. */
async function offerIdErrors(ctx: TenantContext, offerIds: string[] | undefined): Promise<FieldError[]> {
  if (offerIds === undefined) return [];
  const found = await ctx.db
    .select({ id: offers.id })
    .from(offers)
    .where(and(eq(offers.creatorId, ctx.creatorId), inArray(offers.id, offerIds)));
  const known = new Set(found.map((o) => o.id));
  return offerIds.flatMap((id, i): FieldError[] =>
    known.has(id) ? [] : [{ in: "body", path: `/offer_ids/${i}`, message: "No such offer" }],
  );
}
