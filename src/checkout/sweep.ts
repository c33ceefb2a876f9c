/**
 * The cron's side of checkout. Abandoned checkouts: once a hold has lapsed unpaid, its payment is
 * cancelled, so a buyer cannot pay later for units that went back on sale without the late-payment
 * path noticing. A payment that succeeded meanwhile completes instead (or is refunded if sold out).
 * And events whose handling did not finish are tried again.
 *
 * Fairness: each lapsed checkout falls due at its hold's expiry; one the sweep could not settle falls
 * due again only after a backoff (1, 2, 4 … minutes, at most an hour), so it moves behind every checkout
 * that lapsed before the retry. A run takes the `limit` checkouts due earliest, so however many can never
 * be settled, every lapsed checkout is reached within a bounded number of runs. After
 * `MAX_SWEEP_ATTEMPTS` failures a checkout is flagged (an audit row) and left to a person.
 */
import { and, asc, eq, inArray, isNotNull, isNull, lte, or, sql } from "drizzle-orm";
import { auditWrite } from "../audit";
import { runBatch } from "../db/client";
import { checkoutSweeps, checkouts, orders } from "../db/schema";
import { type ExposureSink, holdExpiredExposures } from "../metrics/counters";
import type { ProviderEvent } from "../payments/provider";
import { drainEmitted, retryDeferredEvents } from "./events";
import { type PaymentContext, settlePayment } from "./settle";
import { loadCheckout } from "./store";
import { audit, land, moveWrites, OPEN } from "./transition";

/** Failed sweeps of one checkout before it is flagged for a person (about five hours of backoff). */
const MAX_SWEEP_ATTEMPTS = 10;
const BACKOFF_BASE_MS = 60_000;
const BACKOFF_CAP_MS = 60 * 60_000;

/** When a checkout that has failed `attempts` sweeps is tried again. */
const nextSweepAt = (now: number, attempts: number): number =>
  now + Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1));

export interface SweepReport {
  /** Lapsed checkouts this run tried to settle. */
  abandoned: number;
  /** Of those, how many are still open (tried again later, or flagged). */
  failed: number;
  /** Newly flagged for a person this run. */
  flagged: number;
  /** Unfinished payment events tried again. */
  retried: number;
}

export async function sweepCheckouts(
  ctx: PaymentContext & { emitted: ProviderEvent[]; exposures?: ExposureSink },
  limit = 50,
): Promise<SweepReport> {
  const dueAt = sql<number>`coalesce(${checkoutSweeps.nextAttemptAt}, ${checkouts.holdExpiresAt})`;
  const lapsed = await ctx.db
    .select({
      id: checkouts.id,
      paymentId: checkouts.paymentId,
      attempts: sql<number>`coalesce(${checkoutSweeps.attempts}, 0)`,
    })
    .from(checkouts)
    .leftJoin(checkoutSweeps, eq(checkoutSweeps.checkoutId, checkouts.id))
    .where(
      and(
        inArray(checkouts.status, OPEN),
        isNotNull(checkouts.holdExpiresAt),
        lte(checkouts.holdExpiresAt, ctx.now),
        isNull(checkoutSweeps.flaggedAt),
        or(isNull(checkoutSweeps.nextAttemptAt), lte(checkoutSweeps.nextAttemptAt, ctx.now)),
      ),
    )
    .orderBy(asc(dueAt), asc(checkouts.id))
    .limit(limit);
  let failed = 0;
  let flagged = 0;
  for (const { id, paymentId, attempts } of lapsed) {
    const error = await settleLapsed(ctx, id, paymentId);
    if (error === null) continue;
    failed += 1;
    if (await recordFailure(ctx, id, attempts + 1, error)) flagged += 1;
  }
  await drainEmitted(ctx);
  return { abandoned: lapsed.length, failed, flagged, retried: await retryDeferredEvents(ctx) };
}

/** Settles one lapsed checkout; null once it has left the open states, else why it has not. */
async function settleLapsed(
  ctx: PaymentContext & { emitted: ProviderEvent[]; exposures?: ExposureSink },
  id: string,
  paymentId: string | null,
): Promise<string | null> {
  try {
    // The request that opened it died before creating a payment, and was never retried.
    if (paymentId === null) await expireUnpaid(ctx, id);
    else {
      const payment = await ctx.provider
        .cancel(paymentId, { idempotencyKey: `abandon:${id}` })
        // Cancelling a payment that succeeded meanwhile is refused: read it, and let it complete.
        .catch(async () => ctx.provider.retrieve(paymentId));
      await settlePayment(ctx, payment, "event");
    }
  } catch (error) {
    // One provider hiccup must not stop the sweep; this checkout is tried again after its backoff.
    console.error(JSON.stringify({ sweep: id, error: String(error) }));
    return String(error);
  }
  // A payment still processing (or one settle could not move) leaves the checkout open: that is a
  // failed attempt too, or the same checkout would be first in line every minute.
  const after = await loadCheckout(ctx.db, id);
  // A hold that lapsed unpaid, counted for the KPIs (metrics/counters.ts) without waiting.
  if (after?.checkout.status === "expired")
    ctx.exposures?.(holdExpiredExposures(after.checkout, after.order, ctx.now));
  if (after === undefined || !OPEN.includes(after.checkout.status)) return null;
  return `the checkout is still ${after.checkout.status} after the sweep`;
}

/** Backs the checkout off, or flags it once it has failed too often. True when this run flagged it. */
async function recordFailure(
  ctx: PaymentContext,
  checkoutId: string,
  attempts: number,
  error: string,
): Promise<boolean> {
  const flag = attempts >= MAX_SWEEP_ATTEMPTS;
  const row = {
    checkoutId,
    attempts,
    nextAttemptAt: nextSweepAt(ctx.now, attempts),
    lastError: error.slice(0, 500),
    flaggedAt: flag ? ctx.now : null,
    updatedAt: ctx.now,
  };
  const upsert = ctx.db
    .insert(checkoutSweeps)
    .values(row)
    .onConflictDoUpdate({ target: checkoutSweeps.checkoutId, set: row });
  const loaded = flag ? await loadCheckout(ctx.db, checkoutId) : undefined;
  await runBatch(ctx.db, [
    upsert,
    ...(loaded === undefined
      ? []
      : [
          auditWrite(
            { db: ctx.db, creatorId: loaded.checkout.creatorId, actor: "system:sweep", now: ctx.now },
            "checkout.sweep_flagged",
            { type: "order", id: loaded.checkout.orderId },
            {
              checkout_id: checkoutId,
              payment_id: loaded.checkout.paymentId,
              attempts,
              last_error: row.lastError,
            },
          ),
        ]),
  ]);
  return flag;
}

/** An opened checkout that never got a payment: it ends expired (its hold has lapsed by now). */
async function expireUnpaid(ctx: PaymentContext, checkoutId: string): Promise<void> {
  const loaded = await loadCheckout(ctx.db, checkoutId);
  if (loaded === undefined) return;
  await land(ctx.db, checkoutId, OPEN, [
    ...moveWrites(ctx.db, checkoutId, OPEN, { status: "expired", updatedAt: ctx.now }),
    ctx.db
      .update(orders)
      .set({ status: "cancelled", updatedAt: ctx.now })
      .where(eq(orders.id, loaded.order.id)),
    audit(ctx, loaded, "order.cancelled", { reason: "never_paid" }),
  ]);
}
