/**
 * A checkout's units, across every drop it holds (one for a drop's offer, one per component drop for a
 * bundle): taken all or nothing, committed all or nothing, released and extended together. The drops'
 * objects are separate, so each step asks them side by side and undoes what it did when one refuses.
 */
import type { CheckoutRow, OrderRow } from "../db/schema";
import { AppError } from "../errors";
import { refuseReserve } from "../holds/verbs";
import { type HeldUnits, holdsOf } from "./store";
import type { PaymentContext } from "./transition";

export type { HeldUnits } from "./store";

/** Reserves every drop the quote names, or none: a refusal gives back the units already taken. */
export async function reserveAll(
  ctx: PaymentContext,
  wanted: { dropId: string; quantity: number }[],
  buyer: string,
  checkoutId: string,
): Promise<{ holds: HeldUnits[]; expiresAt: number | null }> {
  // Settled side by side: one drop's object throwing (overloaded) must not strand the others' holds.
  const settled = await Promise.allSettled(
    wanted.map((w) =>
      ctx.inventory.reserve(w.dropId, {
        buyer,
        quantity: w.quantity,
        allowPartial: false,
        idempotencyKey: `checkout:${checkoutId}`,
      }),
    ),
  );
  const holds: HeldUnits[] = [];
  let expiresAt: number | null = null;
  let failure: unknown;
  for (const [i, outcome] of settled.entries()) {
    const w = wanted[i];
    if (w === undefined) continue;
    if (outcome.status === "rejected") failure ??= outcome.reason;
    else if (!outcome.value.ok) failure ??= refuseReserve(outcome.value);
    else {
      holds.push({ dropId: w.dropId, holdId: outcome.value.hold.id, quantity: w.quantity });
      expiresAt = Math.min(expiresAt ?? outcome.value.hold.expiresAt, outcome.value.hold.expiresAt);
    }
  }
  if (failure !== undefined) {
    await releaseAll(ctx, holds, buyer);
    throw failure;
  }
  return { holds, expiresAt };
}

export async function releaseAll(ctx: PaymentContext, holds: HeldUnits[], buyer: string): Promise<void> {
  // A hold that already lapsed or was released is fine.
  await Promise.all(holds.map((h) => ctx.inventory.release(h.dropId, h.holdId, buyer)));
}

/** Releases a checkout's holds (failed, expired, refused). */
export const releaseCheckout = (ctx: PaymentContext, checkout: CheckoutRow, quantity: number) =>
  releaseAll(ctx, vouched(ctx, holdsOf(checkout, quantity)), checkout.buyerKey);

/** A checkout's own rows name drops that exist (its quote did): no D1 read is needed to address them. */
function vouched(ctx: PaymentContext, holds: HeldUnits[]): HeldUnits[] {
  for (const h of holds) ctx.inventory.vouch(h.dropId);
  return holds;
}

/** The buyer is authenticating: every hold gets its one extension; the earliest end is the checkout's. */
export async function extendAll(
  ctx: PaymentContext,
  checkout: CheckoutRow,
  quantity: number,
): Promise<number | null> {
  const extended = await Promise.all(
    vouched(ctx, holdsOf(checkout, quantity)).map((h) =>
      ctx.inventory.extend(h.dropId, h.holdId, checkout.buyerKey),
    ),
  );
  if (extended.length === 0 || !extended.every((e) => e.ok)) return null;
  return Math.min(...extended.map((e) => (e.ok ? e.hold.expiresAt : Number.POSITIVE_INFINITY)));
}

/**
 * Sells every hold to the order; a hold that lapsed is taken again while units remain. When any drop
 * has nothing left, the units already sold to this order go back on sale and the caller refunds.
 */
export async function secureAll(
  ctx: PaymentContext,
  checkout: CheckoutRow,
  order: OrderRow,
): Promise<{ holds: HeldUnits[] } | "sold_out"> {
  const wanted = vouched(ctx, holdsOf(checkout, order.quantity));
  const secured = await Promise.all(wanted.map((h) => secureOne(ctx, checkout, order, h)));
  if (secured.every((s): s is HeldUnits => s !== "sold_out")) return { holds: secured };
  await Promise.all(
    secured.map((s) => (s === "sold_out" ? undefined : ctx.inventory.restock(s.dropId, s.holdId, order.id))),
  );
  return "sold_out";
}

async function secureOne(
  ctx: PaymentContext,
  checkout: CheckoutRow,
  order: OrderRow,
  held: HeldUnits,
): Promise<HeldUnits | "sold_out"> {
  const committed = await ctx.inventory.commit(held.dropId, held.holdId, order.id);
  if (committed.ok) return held;
  const again = await ctx.inventory.reserve(held.dropId, {
    buyer: checkout.buyerKey,
    quantity: held.quantity,
    allowPartial: false,
    // Both sides may get here at once: one key means one new hold between them.
    idempotencyKey: `late-payment:${checkout.id}`,
  });
  if (!again.ok) {
    // The other side is taking the same units right now, or the object is saturated: not a sell-out.
    // Throwing leaves the checkout as it was; the confirm answers 503 and an event is retried later.
    if (again.reason === "idempotency_in_flight" || again.reason === "overloaded") {
      throw new AppError("overloaded", "The drop is busy securing these units; retry shortly.", {
        headers: { "retry-after": "1" },
      });
    }
    return "sold_out";
  }
  const recommitted = await ctx.inventory.commit(held.dropId, again.hold.id, order.id);
  return recommitted.ok ? { ...held, holdId: again.hold.id } : "sold_out";
}
